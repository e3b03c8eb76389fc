package dev.dinoj.benchmarks;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Napkin-math counters reported by JMH next to the time: each benchmark adds the floating-point work
 * (in GFLOP) and the memory it must move (in GB) per invocation, and JMH prints them as rates,
 * i.e. GFLOP/s and GB/s.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Throughput {
    public double gflop;
    public double gbyte;

    @Setup(Level.Iteration)
    public void reset() {
        gflop = 0;
        gbyte = 0;
    }
}
