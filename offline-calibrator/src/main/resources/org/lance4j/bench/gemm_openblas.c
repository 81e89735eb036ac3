/*
 * The OpenBLAS side of `./lance4j bench gemm`: a small server the Java bench drives over stdin/stdout,
 * so both libraries are timed in one run, shape by shape, in alternation. Not part of any runtime.
 *
 * Built by the bench (gcc -O2 -march=native -pthread gemm_openblas.c -lopenblas) from this copy in the jar; Debian's
 * libopenblas-dev. Commands, one per line; each answers one line:
 *   threads N           -> "ok"; OpenBLAS uses N threads
 *   peak SECONDS        -> GFLOPS of an FMA loop (12 independent accumulators of the widest vectors -march=native
 *                          allows, 512 or 256 bits: the core's FMA peak)
 *   peak SECONDS N      -> total GFLOPS of N such loops run at once on N threads: what N threads can reach together
 *                          (below N times one core's when cores share FMA units or a host takes cycles)
 *   gemm F M N K ACC R  -> nanoseconds for R back-to-back calls of the F form (nn, nt, tn), as
 *                          lance4j's Gemm: nn C(M,N) = A(M,K) B(K,N); nt C = A(M,K) B(N,K)^T;
 *                          tn C = A(K,M)^T B(K,N); ACC 1 adds into C (beta 1), 0 overwrites (beta 0)
 *   quit
 */
#include <cblas.h>
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern void openblas_set_num_threads(int);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *grow(float *p, size_t *cap, size_t need) {
    if (need <= *cap) return p;
    free(p);
    p = aligned_alloc(64, ((need * sizeof(float) + 63) / 64) * 64);
    if (!p) { fprintf(stderr, "gemm_openblas: out of memory\n"); exit(2); }
    for (size_t i = 0; i < need; i++) p[i] = (float) ((i * 7919u) % 1000u) / 1000.0f - 0.5f;
    *cap = need;
    return p;
}

/* the widest vectors -march=native allows: the core's FMA peak for code of that width (ours runs the JVM's preferred
   vector width, 512 bits where AVX-512 is present) */
#ifdef __AVX512F__
typedef __m512 vec;
#define SET1 _mm512_set1_ps
#define FMADD _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define LANES 16
#else
typedef __m256 vec;
#define SET1 _mm256_set1_ps
#define FMADD _mm256_fmadd_ps
#define ADD _mm256_add_ps
#define LANES 8
#endif

static double peak(double seconds) {
    /* 12 independent chains hide the FMA latency on both FMA pipes; written out so that they stay in registers */
    vec m = SET1(0.999999f), c = SET1(1e-7f);
    vec a0 = SET1(0), a1 = SET1(1), a2 = SET1(2), a3 = SET1(3), a4 = SET1(4), a5 = SET1(5);
    vec a6 = SET1(6), a7 = SET1(7), a8 = SET1(8), a9 = SET1(9), a10 = SET1(10), a11 = SET1(11);
    long iters = 0;
    double t0 = now(), t;
    do {
        for (int r = 0; r < 1000000; r++) {
            a0 = FMADD(a0, m, c); a1 = FMADD(a1, m, c); a2 = FMADD(a2, m, c); a3 = FMADD(a3, m, c);
            a4 = FMADD(a4, m, c); a5 = FMADD(a5, m, c); a6 = FMADD(a6, m, c); a7 = FMADD(a7, m, c);
            a8 = FMADD(a8, m, c); a9 = FMADD(a9, m, c); a10 = FMADD(a10, m, c); a11 = FMADD(a11, m, c);
        }
        iters += 1000000;
        t = now();
    } while (t - t0 < seconds);
    vec s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));
    s = ADD(s, ADD(ADD(a8, a9), ADD(a10, a11)));
    if (s[0] == 12345.f) printf("#\n");
    return iters * 12.0 * LANES * 2.0 / (t - t0) / 1e9;   /* lanes × 2 flops per FMA */
}

struct peak_job { double seconds, gflops; };

static void *peak_thread(void *arg) {
    struct peak_job *j = arg;
    j->gflops = peak(j->seconds);
    return NULL;
}

/* n FMA loops at once, one per thread; their GFLOPS summed (0 if a thread could not start) */
static double peak_all(double seconds, int n) {
    pthread_t t[64];
    struct peak_job j[64];
    if (n < 1 || n > 64) return 0;
    int started = 0;
    for (; started < n; started++) {
        j[started].seconds = seconds;
        j[started].gflops = 0;
        if (pthread_create(&t[started], NULL, peak_thread, &j[started]) != 0) break;
    }
    double sum = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(t[i], NULL);
        sum += j[i].gflops;
    }
    return started == n ? sum : 0;
}

int main(void) {
    openblas_set_num_threads(1);
    float *a = NULL, *b = NULL, *c = NULL;
    size_t ca = 0, cb = 0, cc = 0;
    char line[256];
    setvbuf(stdout, NULL, _IOLBF, 0);
    while (fgets(line, sizeof line, stdin)) {
        char f[8];
        int m, n, k, acc, reps, threads;
        double secs;
        if (sscanf(line, "threads %d", &threads) == 1) {
            openblas_set_num_threads(threads);
            printf("ok\n");
        } else if (sscanf(line, "peak %lf %d", &secs, &threads) == 2) {
            printf("%.3f\n", peak_all(secs, threads));
        } else if (sscanf(line, "peak %lf", &secs) == 1) {
            printf("%.3f\n", peak(secs));
        } else if (sscanf(line, "gemm %7s %d %d %d %d %d", f, &m, &n, &k, &acc, &reps) == 6) {
            a = grow(a, &ca, (size_t) m * k);
            b = grow(b, &cb, (size_t) k * n);
            c = grow(c, &cc, (size_t) m * n);
            enum CBLAS_TRANSPOSE ta = CblasNoTrans, tb = CblasNoTrans;
            int lda = k, ldb = n;
            if (!strcmp(f, "nt")) { tb = CblasTrans; ldb = k; }
            else if (!strcmp(f, "tn")) { ta = CblasTrans; lda = m; }
            else if (strcmp(f, "nn")) { printf("error unknown form %s\n", f); continue; }
            float beta = acc ? 1.0f : 0.0f;
            double t0 = now();
            for (int r = 0; r < reps; r++) {
                cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, n);
            }
            printf("%.0f\n", (now() - t0) * 1e9);
        } else if (!strncmp(line, "quit", 4)) {
            break;
        } else {
            printf("error %s", line);
        }
    }
    return 0;
}
