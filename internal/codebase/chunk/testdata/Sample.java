package com.example;

import java.util.List;

/**
 * A sample class.
 */
public class Sample {
    private final int count = 0;

    /** Makes a sample. */
    public Sample() {
    }

    // run runs.
    @Override
    public void run(List<String> args) {
        // loop over args
        for (String a : args) {
            System.out.println(a);
        }
    }

    static class Inner {
        int value() { return 1; }
    }

    interface Visitor {
        void visit(Sample s);
    }
}

enum Mode {
    ON, OFF;

    boolean on() { return this == ON; }
}
