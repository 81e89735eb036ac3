package org.lance4j.io;

/** A model file that cannot be used; the message names the file and what to do. */
public class ModelFileException extends RuntimeException {
    public ModelFileException(String message) {
        super(message);
    }
}
