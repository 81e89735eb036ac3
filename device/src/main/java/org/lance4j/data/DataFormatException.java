package org.lance4j.data;

/** A data file or folder that cannot be read as what it claims to be; the message names it and the fix. */
public class DataFormatException extends RuntimeException {
    public DataFormatException(String message) {
        super(message);
    }

    public DataFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
