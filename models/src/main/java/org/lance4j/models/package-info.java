/**
 * The model zoo: declarative architecture specs ({@link org.lance4j.graph.ModelSpec}) that the engine
 * builds — MobileNetV2, ResNet18/34, an MCUNet-like network and the continual-learning networks.
 * Empty until the models issue lands; the module exists so the dependency direction
 * device ← models ← offline-calibrator is fixed from the start.
 */
package org.lance4j.models;
