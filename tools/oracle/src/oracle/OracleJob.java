package oracle;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.ReduceFunction;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.runtime.checkpoint.AbstractCheckpointStats;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.CompletedCheckpointStats;
import org.apache.flink.runtime.checkpoint.FailedCheckpointStats;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.SubtaskStateStats;
import org.apache.flink.runtime.checkpoint.TaskStateStats;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.state.IncrementalKeyedStateHandle;
import org.apache.flink.runtime.state.IncrementalRemoteKeyedStateHandle;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.KeyGroupsStateHandle;
import org.apache.flink.runtime.state.KeyedStateHandle;
import org.apache.flink.runtime.state.OperatorStateHandle;
import org.apache.flink.runtime.state.StreamStateHandle;
import org.apache.flink.runtime.state.filesystem.FileStateHandle;
import org.apache.flink.runtime.state.memory.ByteStreamStateHandle;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.datastream.WindowedStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.WindowAssigner;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

import java.io.BufferedWriter;
import java.io.DataInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Serializable;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * Ground-truth harness: runs a keyed event-time window job in a local MiniCluster, fed by a
 * deterministic phased source, and dumps the exact per-subtask keyed-state snapshot sizes read
 * back from every retained checkpoint's _metadata.
 *
 * <p>Arguments: key=value pairs (see README.md for the list). Output goes to out_dir.
 */
public class OracleJob {

    /** Record type: (key, event-time ms, payload string). */
    public static final TypeInformation<Tuple3<Long, Long, String>> REC_TYPE =
            TypeInformation.of(new TypeHint<Tuple3<Long, Long, String>>() {});

    // ------------------------------------------------------------------------------------------
    // Scenario parameters
    // ------------------------------------------------------------------------------------------

    public static final class Params implements Serializable {
        private static final long serialVersionUID = 1L;
        final LinkedHashMap<String, String> m = new LinkedHashMap<>();

        String s(String k, String d) {
            String v = m.get(k);
            return v == null || v.isEmpty() ? d : v;
        }

        long l(String k, long d) {
            return Long.parseLong(s(k, Long.toString(d)));
        }

        int i(String k, int d) {
            return Integer.parseInt(s(k, Integer.toString(d)));
        }

        double d(String k, double d) {
            return Double.parseDouble(s(k, Double.toString(d)));
        }

        boolean b(String k, boolean d) {
            String v = s(k, Boolean.toString(d)).toLowerCase();
            return v.equals("true") || v.equals("1") || v.equals("yes") || v.equals("on");
        }
    }

    // ------------------------------------------------------------------------------------------
    // Deterministic generator (shared by the source and by the trace writer)
    // ------------------------------------------------------------------------------------------

    /** SplitMix64, fully specified so that other languages can reproduce it. */
    public static final class SplitMix64 implements Serializable {
        long x;

        SplitMix64(long seed) {
            x = seed;
        }

        long next() {
            long z = (x += 0x9E3779B97F4A7C15L);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        /** uniform double in [0,1) with 53 random bits. */
        double nextDouble() {
            return (next() >>> 11) * 0x1.0p-53;
        }
    }

    public static class Gen implements Serializable {
        final long n;
        final int k;
        final boolean zipf;
        final double s;
        final long seed;
        final long rate;
        final int payloadBytes;
        final long jitter;
        final long t0;
        final boolean randomPayload;
        transient double[] cdf;
        transient SplitMix64 keyRng, jitRng, payRng;
        transient char[] buf;
        transient String constPayload;
        long idx;

        Gen(Params p) {
            n = p.l("records", 100_000);
            k = p.i("key_count", 1000);
            zipf = p.s("key_dist", "uniform").equals("zipf");
            s = p.d("zipf_s", 1.1);
            seed = p.l("seed", 42);
            rate = p.l("events_per_sec_event_time", 1000);
            payloadBytes = p.i("payload_bytes", 16);
            jitter = p.l("ts_jitter_ms", 0);
            t0 = p.l("t0_ms", 0);
            randomPayload = p.s("payload_mode", "random").equals("random");
        }

        void init() {
            keyRng = new SplitMix64(seed);
            jitRng = new SplitMix64(seed ^ 0x6A09E667F3BCC909L);
            payRng = new SplitMix64(seed ^ 0x3C6EF372FE94F82BL);
            buf = new char[payloadBytes];
            char[] c = new char[payloadBytes];
            java.util.Arrays.fill(c, 'x');
            constPayload = new String(c);
            if (zipf) {
                cdf = new double[k];
                double acc = 0;
                for (int r = 0; r < k; r++) {
                    acc += 1.0 / Math.pow(r + 1, s);
                    cdf[r] = acc;
                }
                for (int r = 0; r < k; r++) {
                    cdf[r] /= acc;
                }
                cdf[k - 1] = 1.0;
            }
            idx = 0;
        }

        long nextKey() {
            double u = keyRng.nextDouble();
            if (!zipf) {
                long key = (long) (u * k);
                return Math.min(key, k - 1);
            }
            // first rank r with cdf[r] > u
            int lo = 0, hi = k - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cdf[mid] > u) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            return lo;
        }

        static final char[] ALPHA = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

        String nextPayload() {
            if (!randomPayload) {
                return constPayload;
            }
            long r = 0;
            int left = 0;
            for (int j = 0; j < payloadBytes; j++) {
                if (left == 0) {
                    r = payRng.next() >>> 1;
                    left = 10;
                }
                buf[j] = ALPHA[(int) (r % 36)];
                r /= 36;
                left--;
            }
            return new String(buf);
        }

        Tuple3<Long, Long, String> next() {
            long key = nextKey();
            long ts = t0 + (idx * 1000L) / rate;
            if (jitter > 0) {
                ts -= Long.remainderUnsigned(jitRng.next(), jitter + 1);
            }
            idx++;
            return Tuple3.of(key, ts, nextPayload());
        }
    }

    /** Side B of a two-input job: the same generator with b_* overrides (own seed, keys, rate, size). */
    static Params sideB(Params p) {
        Params b = new Params();
        b.m.putAll(p.m);
        for (String k : new String[] {"key_count", "key_dist", "zipf_s", "events_per_sec_event_time", "payload_bytes", "seed", "ts_jitter_ms"}) {
            String v = p.m.get("b_" + k);
            if (v != null && !v.isEmpty()) {
                b.m.put(k, v);
            }
        }
        if (p.m.get("b_seed") == null || p.m.get("b_seed").isEmpty()) {
            b.m.put("seed", Long.toString(p.l("seed", 42) + 1));
        }
        return b;
    }

    static boolean twoInputs(Params p) {
        String op = p.s("operator", "window");
        return op.equals("interval_join") || op.equals("join") || op.equals("dedup_join") || op.equals("sql_join");
    }

    static Gen makeGen(Params p) {
        return twoInputs(p) ? new MergedGen(p) : new Gen(p);
    }

    /**
     * Two generators (side L = the scenario's parameters, side R = sideB) merged by event time
     * (ties: L first); records = the merged count. The side is marked in the payload's first
     * character ('L' or 'R'), so the record type and its serialized size stay as for one input.
     */
    public static final class MergedGen extends Gen {
        final Gen a, b;
        transient Tuple3<Long, Long, String> na, nb;

        MergedGen(Params p) {
            super(p);
            a = new Gen(p);
            b = new Gen(sideB(p));
        }

        @Override
        void init() {
            a.init();
            b.init();
            na = a.next();
            nb = b.next();
            idx = 0;
        }

        static Tuple3<Long, Long, String> mark(Tuple3<Long, Long, String> r, char side) {
            char[] c = r.f2.toCharArray();
            if (c.length == 0) {
                throw new IllegalArgumentException("two-input jobs need payload_bytes >= 1");
            }
            c[0] = side;
            return Tuple3.of(r.f0, r.f1, new String(c));
        }

        @Override
        Tuple3<Long, Long, String> next() {
            idx++;
            if (na.f1 <= nb.f1) {
                Tuple3<Long, Long, String> r = mark(na, 'L');
                na = a.next();
                return r;
            }
            Tuple3<Long, Long, String> r = mark(nb, 'R');
            nb = b.next();
            return r;
        }
    }

    /**
     * Logical processing time for state TTL. A function sets the thread's clock to the record's
     * processing time (ts + proc_lag_ms) before touching state; any other thread (the asynchronous
     * snapshot, RocksDB compaction) sees the global clock, which the source sets at each phase end
     * to the processing time of the phase's last record (= the checkpoint's processing time).
     */
    public static final class Clock {
        static final ThreadLocal<Long> TL = new ThreadLocal<>();
        static volatile long global = 0;

        static long now() {
            Long t = TL.get();
            return t != null ? t : global;
        }
    }

    // ------------------------------------------------------------------------------------------
    // FLIP-27 phased source (works on Flink 1.20 and 2.x)
    // ------------------------------------------------------------------------------------------

    public static final class NoSplit implements SourceSplit, Serializable {
        @Override
        public String splitId() {
            return "none";
        }
    }

    public static final class NoSplitSer implements SimpleVersionedSerializer<NoSplit> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(NoSplit obj) {
            return new byte[0];
        }

        @Override
        public NoSplit deserialize(int version, byte[] serialized) {
            return new NoSplit();
        }
    }

    public static final class IntSer implements SimpleVersionedSerializer<Integer> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(Integer obj) {
            return ByteBuffer.allocate(4).putInt(obj).array();
        }

        @Override
        public Integer deserialize(int version, byte[] serialized) {
            return ByteBuffer.wrap(serialized).getInt();
        }
    }

    public static final class NoEnum implements SplitEnumerator<NoSplit, Integer> {
        @Override
        public void start() {}

        @Override
        public void handleSplitRequest(int subtaskId, String requesterHostname) {}

        @Override
        public void addSplitsBack(List<NoSplit> splits, int subtaskId) {}

        @Override
        public void addReader(int subtaskId) {}

        @Override
        public Integer snapshotState(long checkpointId) {
            return 0;
        }

        @Override
        public void close() {}
    }

    public static final class PhasedSource
            implements Source<Tuple3<Long, Long, String>, NoSplit, Integer> {
        final Params p;

        PhasedSource(Params p) {
            this.p = p;
        }

        @Override
        public Boundedness getBoundedness() {
            return Boundedness.CONTINUOUS_UNBOUNDED;
        }

        @Override
        public SourceReader<Tuple3<Long, Long, String>, NoSplit> createReader(
                SourceReaderContext ctx) {
            return new PhasedReader(p);
        }

        @Override
        public SplitEnumerator<NoSplit, Integer> createEnumerator(
                SplitEnumeratorContext<NoSplit> ctx) {
            return new NoEnum();
        }

        @Override
        public SplitEnumerator<NoSplit, Integer> restoreEnumerator(
                SplitEnumeratorContext<NoSplit> ctx, Integer st) {
            return new NoEnum();
        }

        @Override
        public SimpleVersionedSerializer<NoSplit> getSplitSerializer() {
            return new NoSplitSer();
        }

        @Override
        public SimpleVersionedSerializer<Integer> getEnumeratorCheckpointSerializer() {
            return new IntSer();
        }
    }

    /** Watermark = maxTs - ooo - 1, emitted after every wm_every-th record and at phase ends. */
    public static long watermarkFor(long maxTs, long ooo) {
        return maxTs - ooo - 1;
    }

    public static final class PhasedWatermarks
            implements WatermarkGenerator<Tuple3<Long, Long, String>> {
        final long ooo, wmEvery, phase, n;
        long count = 0;
        long maxTs = Long.MIN_VALUE;

        PhasedWatermarks(Params p) {
            ooo = p.l("out_of_orderness_ms", 0);
            wmEvery = Math.max(1, p.l("wm_every", 1));
            phase = p.l("phase_records", 10_000);
            n = p.l("records", 100_000);
        }

        @Override
        public void onEvent(Tuple3<Long, Long, String> e, long ts, WatermarkOutput out) {
            count++;
            if (ts > maxTs) {
                maxTs = ts;
            }
            if (count % wmEvery == 0 || count % phase == 0 || count == n) {
                out.emitWatermark(new Watermark(watermarkFor(maxTs, ooo)));
            }
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput out) {}
    }

    public static final class PhasedReader
            implements SourceReader<Tuple3<Long, Long, String>, NoSplit> {
        final Params p;
        final long n, phaseRecords, ooo, timeoutMs, procLag;
        final boolean phaseClock;
        final String outDir;
        transient Gen gen;
        long emitted = 0;
        long maxTs = Long.MIN_VALUE;
        int phase = 0;
        boolean waiting = false;
        long waitTarget = -1;
        long waitStart = 0;
        boolean done = false;
        CompletableFuture<Void> avail = CompletableFuture.completedFuture(null);
        final Map<Long, long[]> snaps = new HashMap<>();
        transient PrintWriter log;
        transient java.util.Timer timer;

        PhasedReader(Params p) {
            this.p = p;
            n = p.l("records", 100_000);
            phaseRecords = p.l("phase_records", 10_000);
            ooo = p.l("out_of_orderness_ms", 0);
            timeoutMs = p.l("phase_timeout_ms", 60_000);
            procLag = p.l("proc_lag_ms", 0);
            phaseClock = p.s("operator", "").startsWith("sql_");
            outDir = p.s("out_dir", "/tmp/oracle-out");
        }

        void logLine(String kind, long cid, long[] s) {
            // kind,checkpoint_id,records_emitted,event_time_ms,watermark_ms,phase,wall_ms
            if (s == null) {
                log.println(kind + "," + cid + ",,,,," + System.currentTimeMillis());
            } else {
                log.println(kind + "," + cid + "," + s[0] + "," + s[1] + "," + s[2] + "," + s[3]
                        + "," + System.currentTimeMillis());
            }
            log.flush();
        }

        @Override
        public void start() {
            gen = makeGen(p);
            gen.init();
            try {
                log = new PrintWriter(new FileOutputStream(new File(outDir, "source_log.csv")));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
            log.println("kind,checkpoint_id,records_emitted,event_time_ms,watermark_ms,phase,wall_ms");
            timer = new java.util.Timer("phase-timeout", true);
        }

        long[] cur() {
            long wm = emitted == 0 ? Long.MIN_VALUE : watermarkFor(maxTs, ooo);
            return new long[] {emitted, emitted == 0 ? Long.MIN_VALUE : maxTs, wm, phase};
        }

        void release() {
            waiting = false;
            CompletableFuture<Void> f = avail;
            f.complete(null);
        }

        @Override
        public InputStatus pollNext(ReaderOutput<Tuple3<Long, Long, String>> out) {
            if (done) {
                return InputStatus.NOTHING_AVAILABLE;
            }
            if (waiting) {
                if (System.currentTimeMillis() - waitStart >= timeoutMs) {
                    logLine("TIMEOUT", -1, cur());
                    waiting = false;
                } else {
                    if (avail.isDone()) {
                        final CompletableFuture<Void> f2 = new CompletableFuture<>();
                        avail = f2;
                        long left = Math.max(1, timeoutMs - (System.currentTimeMillis() - waitStart) + 10);
                        timer.schedule(
                                new java.util.TimerTask() {
                                    @Override
                                    public void run() {
                                        f2.complete(null);
                                    }
                                },
                                left);
                    }
                    return InputStatus.NOTHING_AVAILABLE;
                }
            }
            if (emitted >= n) {
                done = true;
                logLine("DONE", -1, cur());
                try {
                    Files.write(Paths.get(outDir, "source_done"), new byte[0]);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
                avail = new CompletableFuture<>();
                return InputStatus.NOTHING_AVAILABLE;
            }
            long end = Math.min(n, emitted + phaseRecords);
            if (phaseClock) {
                // SQL operators read the global clock: every record of this phase is processed at the
                // processing time of the phase's last record (the trace's proc_ms column)
                List<Tuple3<Long, Long, String>> buf = new ArrayList<>();
                long m = maxTs;
                for (long i = emitted; i < end; i++) {
                    Tuple3<Long, Long, String> r = gen.next();
                    m = Math.max(m, r.f1);
                    buf.add(r);
                }
                Clock.global = m + procLag;
                for (Tuple3<Long, Long, String> r : buf) {
                    if (r.f1 > maxTs) {
                        maxTs = r.f1;
                    }
                    emitted++;
                    out.collect(r, r.f1);
                }
            }
            while (emitted < end) {
                Tuple3<Long, Long, String> r = gen.next();
                if (r.f1 > maxTs) {
                    maxTs = r.f1;
                }
                emitted++;
                out.collect(r, r.f1);
            }
            phase++;
            Clock.global = maxTs + procLag;
            waiting = true;
            waitTarget = emitted;
            waitStart = System.currentTimeMillis();
            logLine("PHASE_END", -1, cur());
            final CompletableFuture<Void> f = new CompletableFuture<>();
            avail = f;
            timer.schedule(
                    new java.util.TimerTask() {
                        @Override
                        public void run() {
                            f.complete(null);
                        }
                    },
                    timeoutMs + 10);
            return InputStatus.NOTHING_AVAILABLE;
        }

        @Override
        public List<NoSplit> snapshotState(long checkpointId) {
            long[] s = cur();
            snaps.put(checkpointId, s);
            logLine("SNAPSHOT", checkpointId, s);
            return Collections.emptyList();
        }

        @Override
        public CompletableFuture<Void> isAvailable() {
            return avail;
        }

        @Override
        public void addSplits(List<NoSplit> splits) {}

        @Override
        public void notifyNoMoreSplits() {}

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            long[] s = snaps.get(checkpointId);
            logLine("COMPLETE", checkpointId, s);
            if (waiting && s != null && s[0] == waitTarget) {
                release();
            }
        }

        @Override
        public void notifyCheckpointAborted(long checkpointId) {
            long[] s = snaps.get(checkpointId);
            logLine("ABORTED", checkpointId, s);
            if (waiting && s != null && s[0] == waitTarget) {
                release();
            }
        }

        @Override
        public void close() {
            if (timer != null) {
                timer.cancel();
            }
            if (log != null) {
                log.flush();
                log.close();
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Window functions
    // ------------------------------------------------------------------------------------------

    /** Keeps all elements (ListState "window-contents"); emits the element count. */
    public static final class CountProcess
            extends ProcessWindowFunction<Tuple3<Long, Long, String>, Long, Long, TimeWindow> {
        @Override
        public void process(
                Long key,
                Context ctx,
                Iterable<Tuple3<Long, Long, String>> elements,
                Collector<Long> out) {
            long c = 0;
            for (Tuple3<Long, Long, String> e : elements) {
                c++;
            }
            out.collect(c);
        }
    }

    /** Accumulator = (count, sum of ts) as Tuple2<Long,Long>. */
    public static final class CountSumAgg
            implements AggregateFunction<
                    Tuple3<Long, Long, String>, Tuple2<Long, Long>, Tuple2<Long, Long>> {
        @Override
        public Tuple2<Long, Long> createAccumulator() {
            return Tuple2.of(0L, 0L);
        }

        @Override
        public Tuple2<Long, Long> add(Tuple3<Long, Long, String> v, Tuple2<Long, Long> acc) {
            return Tuple2.of(acc.f0 + 1, acc.f1 + v.f1);
        }

        @Override
        public Tuple2<Long, Long> getResult(Tuple2<Long, Long> acc) {
            return acc;
        }

        @Override
        public Tuple2<Long, Long> merge(Tuple2<Long, Long> a, Tuple2<Long, Long> b) {
            return Tuple2.of(a.f0 + b.f0, a.f1 + b.f1);
        }
    }

    /** Keeps the latest element (by ts, ties: later arrival) — one full record per key-window. */
    public static final class LatestReduce implements ReduceFunction<Tuple3<Long, Long, String>> {
        @Override
        public Tuple3<Long, Long, String> reduce(
                Tuple3<Long, Long, String> a, Tuple3<Long, Long, String> b) {
            return b.f1 >= a.f1 ? b : a;
        }
    }

    public static final class KeyOf implements KeySelector<Tuple3<Long, Long, String>, Long> {
        @Override
        public Long getKey(Tuple3<Long, Long, String> v) {
            return v.f0;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Other job shapes (operator=process|dedup|interval_join|join|process_window)
    // ------------------------------------------------------------------------------------------

    /** The map state's sub-key of a record: floorMod(payload.hashCode(), map_subkeys) (also in the trace). */
    static int subKey(Tuple3<Long, Long, String> r, int subkeys) {
        return Math.floorMod(r.f2.hashCode(), subkeys);
    }

    /**
     * The dedups' parameters in a dedup_join: the job's, with ttl_* replaced by dedup_ttl_* (no TTL
     * on the dedups unless dedup_ttl_ms is given).
     */
    static Params dedupParams(Params p) {
        Params d = new Params();
        d.m.putAll(p.m);
        for (String k : new String[] {"ttl_ms", "ttl_update", "ttl_visibility", "ttl_cleanup", "ttl_incremental_size", "ttl_compact_entries"}) {
            String v = p.m.get("dedup_" + k);
            d.m.put(k, v == null ? "" : v);
        }
        return d;
    }

    /** StateTtlConfig from ttl_ms, ttl_update, ttl_cleanup, ttl_visibility (null when ttl_ms <= 0). */
    static org.apache.flink.api.common.state.StateTtlConfig ttlConfig(Params p) {
        long ttl = p.l("ttl_ms", 0);
        if (ttl <= 0) {
            return null;
        }
        org.apache.flink.api.common.state.StateTtlConfig.Builder b =
                org.apache.flink.api.common.state.StateTtlConfig.newBuilder(Duration.ofMillis(ttl));
        String upd = p.s("ttl_update", "OnCreateAndWrite");
        if (upd.equals("OnReadAndWrite")) {
            b.updateTtlOnReadAndWrite();
        } else if (upd.equals("OnCreateAndWrite")) {
            b.updateTtlOnCreateAndWrite();
        } else {
            throw new IllegalArgumentException("ttl_update " + upd);
        }
        if (p.s("ttl_visibility", "NeverReturnExpired").equals("ReturnExpiredIfNotCleanedUp")) {
            b.returnExpiredIfNotCleanedUp();
        } else {
            b.neverReturnExpired();
        }
        String cl = p.s("ttl_cleanup", "none");
        switch (cl) {
            case "none":
                b.disableCleanupInBackground();
                break;
            case "full_snapshot":
                b.disableCleanupInBackground();
                b.cleanupFullSnapshot();
                break;
            case "incremental":
                b.cleanupIncrementally(p.i("ttl_incremental_size", 5), false);
                break;
            case "compaction":
                b.cleanupInRocksdbCompactFilter(p.l("ttl_compact_entries", 1000));
                break;
            case "default":
                break; // Flink's default: background cleanup (incremental 5 on heap, compaction filter on RocksDB)
            default:
                throw new IllegalArgumentException("ttl_cleanup " + cl);
        }
        return b.build();
    }

    /**
     * process: ValueState<Long> "count" (every record), ListState<Tuple3> "last" (the last list_cap
     * records: append; when full, clear and re-add the newest list_cap), MapState<String,Long>
     * "events" (sub-key "e"+subKey -> ts, map_subkeys sub-keys), and with timer_delay_ms > 0 an
     * event-time timer at ts + delay that clears "events". TTL (ttl_ms > 0) on all three states.
     * Emits the record (the chain feeds it to a window).
     */
    public static final class StatefulProcess
            extends org.apache.flink.streaming.api.functions.KeyedProcessFunction<Long, Tuple3<Long, Long, String>, Tuple3<Long, Long, String>> {
        final Params p;
        transient org.apache.flink.api.common.state.ValueState<Long> count;
        transient org.apache.flink.api.common.state.ListState<Tuple3<Long, Long, String>> last;
        transient org.apache.flink.api.common.state.MapState<String, Long> events;
        transient int cap, subkeys;
        transient long delay, lag, ooo;
        transient boolean ttl;

        StatefulProcess(Params p) {
            this.p = p;
        }

        @Override
        public void open(org.apache.flink.api.common.functions.OpenContext ctx) {
            cap = p.i("list_cap", 5);
            subkeys = p.i("map_subkeys", 0);
            delay = p.l("timer_delay_ms", 0);
            lag = p.l("proc_lag_ms", 0);
            ooo = p.l("out_of_orderness_ms", 0);
            org.apache.flink.api.common.state.StateTtlConfig t = ttlConfig(p);
            ttl = t != null;
            org.apache.flink.api.common.state.ValueStateDescriptor<Long> vd =
                    new org.apache.flink.api.common.state.ValueStateDescriptor<>("count", TypeInformation.of(Long.class));
            org.apache.flink.api.common.state.ListStateDescriptor<Tuple3<Long, Long, String>> ld =
                    new org.apache.flink.api.common.state.ListStateDescriptor<>("last", REC_TYPE);
            org.apache.flink.api.common.state.MapStateDescriptor<String, Long> md =
                    new org.apache.flink.api.common.state.MapStateDescriptor<>("events", TypeInformation.of(String.class), TypeInformation.of(Long.class));
            if (ttl) {
                vd.enableTimeToLive(t);
                ld.enableTimeToLive(t);
                md.enableTimeToLive(t);
            }
            count = getRuntimeContext().getState(vd);
            if (cap > 0) {
                last = getRuntimeContext().getListState(ld);
            }
            if (subkeys > 0) {
                events = getRuntimeContext().getMapState(md);
            }
        }

        @Override
        public void processElement(Tuple3<Long, Long, String> r, Context ctx, Collector<Tuple3<Long, Long, String>> out) throws Exception {
            if (ttl) {
                Clock.TL.set(r.f1 + lag);
            }
            Long c = count.value();
            count.update(c == null ? 1L : c + 1);
            if (cap > 0) {
                List<Tuple3<Long, Long, String>> cur = new ArrayList<>();
                Iterable<Tuple3<Long, Long, String>> it = last.get();
                if (it != null) {
                    for (Tuple3<Long, Long, String> x : it) {
                        cur.add(x);
                    }
                }
                if (cur.size() >= cap) {
                    List<Tuple3<Long, Long, String>> keep = new ArrayList<>(cur.subList(cur.size() - cap + 1, cur.size()));
                    keep.add(r);
                    last.clear();
                    last.addAll(keep);
                } else {
                    last.add(r);
                }
            }
            if (subkeys > 0) {
                events.put("e" + subKey(r, subkeys), r.f1);
            }
            if (delay > 0) {
                ctx.timerService().registerEventTimeTimer(r.f1 + delay);
            }
            out.collect(r);
        }

        @Override
        public void onTimer(long ts, OnTimerContext ctx, Collector<Tuple3<Long, Long, String>> out) throws Exception {
            if (ttl) {
                Clock.TL.set(ctx.timerService().currentWatermark() + ooo + 1 + lag);
            }
            if (events != null) {
                events.clear();
            }
        }
    }

    /** dedup: ValueState<Boolean> "seen" with TTL; the first record of a key (per TTL period) is emitted. */
    public static final class Dedup
            extends org.apache.flink.streaming.api.functions.KeyedProcessFunction<Long, Tuple3<Long, Long, String>, Tuple3<Long, Long, String>> {
        final Params p;
        transient org.apache.flink.api.common.state.ValueState<Boolean> seen;
        transient long lag;
        transient boolean ttl;

        Dedup(Params p) {
            this.p = p;
        }

        @Override
        public void open(org.apache.flink.api.common.functions.OpenContext ctx) {
            lag = p.l("proc_lag_ms", 0);
            org.apache.flink.api.common.state.StateTtlConfig t = ttlConfig(p);
            ttl = t != null;
            org.apache.flink.api.common.state.ValueStateDescriptor<Boolean> vd =
                    new org.apache.flink.api.common.state.ValueStateDescriptor<>("seen", TypeInformation.of(Boolean.class));
            if (ttl) {
                vd.enableTimeToLive(t);
            }
            seen = getRuntimeContext().getState(vd);
        }

        @Override
        public void processElement(Tuple3<Long, Long, String> r, Context ctx, Collector<Tuple3<Long, Long, String>> out) throws Exception {
            if (ttl) {
                Clock.TL.set(r.f1 + lag);
            }
            if (seen.value() == null) {
                seen.update(true);
                out.collect(r);
            }
        }
    }

    /** join: unbounded two-input join, ListState "left" / "right" keep every record of each side. */
    public static final class UnboundedJoin
            extends org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction<Long, Tuple3<Long, Long, String>, Tuple3<Long, Long, String>, Long> {
        final Params p;
        transient org.apache.flink.api.common.state.ListState<Tuple3<Long, Long, String>> left, right;
        transient long lag;
        transient boolean ttl;

        UnboundedJoin(Params p) {
            this.p = p;
        }

        /**
         * ListState "left" / "right"; with ttl_ms > 0 the same StateTtlConfig on both (each list
         * element carries its own timestamp).
         */
        @Override
        public void open(org.apache.flink.api.common.functions.OpenContext ctx) {
            lag = p.l("proc_lag_ms", 0);
            org.apache.flink.api.common.state.StateTtlConfig t = ttlConfig(p);
            ttl = t != null;
            org.apache.flink.api.common.state.ListStateDescriptor<Tuple3<Long, Long, String>> ld =
                    new org.apache.flink.api.common.state.ListStateDescriptor<>("left", REC_TYPE);
            org.apache.flink.api.common.state.ListStateDescriptor<Tuple3<Long, Long, String>> rd =
                    new org.apache.flink.api.common.state.ListStateDescriptor<>("right", REC_TYPE);
            if (ttl) {
                ld.enableTimeToLive(t);
                rd.enableTimeToLive(t);
            }
            left = getRuntimeContext().getListState(ld);
            right = getRuntimeContext().getListState(rd);
        }

        static long count(Iterable<?> it) {
            long c = 0;
            if (it != null) {
                for (Object o : it) {
                    c++;
                }
            }
            return c;
        }

        @Override
        public void processElement1(Tuple3<Long, Long, String> r, Context ctx, Collector<Long> out) throws Exception {
            if (ttl) {
                Clock.TL.set(r.f1 + lag);
            }
            left.add(r);
            out.collect(count(right.get()));
        }

        @Override
        public void processElement2(Tuple3<Long, Long, String> r, Context ctx, Collector<Long> out) throws Exception {
            if (ttl) {
                Clock.TL.set(r.f1 + lag);
            }
            right.add(r);
            out.collect(count(left.get()));
        }
    }

    public static final class PairCount
            extends org.apache.flink.streaming.api.functions.co.ProcessJoinFunction<Tuple3<Long, Long, String>, Tuple3<Long, Long, String>, Long> {
        @Override
        public void processElement(Tuple3<Long, Long, String> a, Tuple3<Long, Long, String> b, Context ctx, Collector<Long> out) {
            out.collect(a.f1 - b.f1);
        }
    }

    public static final class SideFilter implements org.apache.flink.api.common.functions.FilterFunction<Tuple3<Long, Long, String>> {
        final char side;

        SideFilter(char side) {
            this.side = side;
        }

        @Override
        public boolean filter(Tuple3<Long, Long, String> r) {
            return r.f2.charAt(0) == side;
        }
    }

    // ------------------------------------------------------------------------------------------
    // A state backend whose TTL clock is the logical processing time (Clock)
    // ------------------------------------------------------------------------------------------

    public static final class ClockTime implements org.apache.flink.runtime.state.ttl.TtlTimeProvider, Serializable {
        @Override
        public long currentTimestamp() {
            return Clock.now();
        }
    }

    /** state.backend.type = oracle.OracleJob$ClockBackendFactory, oracle.clock.delegate = hashmap|rocksdb. */
    public static final class ClockBackendFactory implements org.apache.flink.runtime.state.StateBackendFactory<org.apache.flink.runtime.state.StateBackend> {
        @Override
        public org.apache.flink.runtime.state.StateBackend createFromConfig(org.apache.flink.configuration.ReadableConfig config, ClassLoader cl)
                throws org.apache.flink.configuration.IllegalConfigurationException, IOException {
            Configuration c = Configuration.fromMap(config.toMap());
            c.setString("state.backend.type", c.getString("oracle.clock.delegate", "hashmap"));
            try {
                return new ClockBackend(org.apache.flink.runtime.state.StateBackendLoader.loadStateBackendFromConfig(
                        c, cl, org.slf4j.LoggerFactory.getLogger(OracleJob.class)));
            } catch (org.apache.flink.util.DynamicCodeLoadingException e) {
                throw new IOException(e);
            }
        }
    }

    public static final class ClockBackend implements org.apache.flink.runtime.state.StateBackend {
        private static final long serialVersionUID = 1L;
        final org.apache.flink.runtime.state.StateBackend d;

        ClockBackend(org.apache.flink.runtime.state.StateBackend d) {
            this.d = d;
        }

        @Override
        public String getName() {
            return d.getName();
        }

        @Override
        public <K> org.apache.flink.runtime.state.CheckpointableKeyedStateBackend<K> createKeyedStateBackend(KeyedStateBackendParameters<K> p) throws Exception {
            return d.createKeyedStateBackend(new ClockParams<>(p));
        }

        @Override
        public org.apache.flink.runtime.state.OperatorStateBackend createOperatorStateBackend(OperatorStateBackendParameters p) throws Exception {
            return d.createOperatorStateBackend(p);
        }

        @Override
        public boolean useManagedMemory() {
            return d.useManagedMemory();
        }

        @Override
        public boolean supportsNoClaimRestoreMode() {
            return d.supportsNoClaimRestoreMode();
        }

        @Override
        public boolean supportsSavepointFormat(org.apache.flink.core.execution.SavepointFormatType f) {
            return d.supportsSavepointFormat(f);
        }
    }

    static final class ClockParams<K> implements org.apache.flink.runtime.state.StateBackend.KeyedStateBackendParameters<K> {
        final org.apache.flink.runtime.state.StateBackend.KeyedStateBackendParameters<K> p;
        final ClockTime clock = new ClockTime();

        ClockParams(org.apache.flink.runtime.state.StateBackend.KeyedStateBackendParameters<K> p) {
            this.p = p;
        }

        public org.apache.flink.runtime.execution.Environment getEnv() { return p.getEnv(); }
        public JobID getJobID() { return p.getJobID(); }
        public String getOperatorIdentifier() { return p.getOperatorIdentifier(); }
        public org.apache.flink.api.common.typeutils.TypeSerializer<K> getKeySerializer() { return p.getKeySerializer(); }
        public int getNumberOfKeyGroups() { return p.getNumberOfKeyGroups(); }
        public KeyGroupRange getKeyGroupRange() { return p.getKeyGroupRange(); }
        public org.apache.flink.runtime.query.TaskKvStateRegistry getKvStateRegistry() { return p.getKvStateRegistry(); }
        public org.apache.flink.runtime.state.ttl.TtlTimeProvider getTtlTimeProvider() { return clock; }
        public org.apache.flink.metrics.MetricGroup getMetricGroup() { return p.getMetricGroup(); }
        public java.util.Collection<KeyedStateHandle> getStateHandles() { return p.getStateHandles(); }
        public org.apache.flink.core.fs.CloseableRegistry getCancelStreamRegistry() { return p.getCancelStreamRegistry(); }
        public double getManagedMemoryFraction() { return p.getManagedMemoryFraction(); }
        public org.apache.flink.runtime.state.StateBackend.CustomInitializationMetrics getCustomInitializationMetrics() { return p.getCustomInitializationMetrics(); }
    }

    // ------------------------------------------------------------------------------------------
    // Decoder of heap (KeyGroupsStateHandle) snapshots: what each state's bytes consist of
    // ------------------------------------------------------------------------------------------

    /**
     * decode=<chk-N dir> [out=<tsv>]: for every keyed operator subtask with a KeyGroupsStateHandle,
     * reads the serialization proxy (header) and every key group with Flink's own serializers and
     * writes one line per (operator, subtask, state): meta-info bytes in the header, entries,
     * framing bytes (2-byte state id + 4-byte count per key group), namespace / key / value bytes,
     * min / max value bytes, the serializer classes. Header lines: key serializer snapshot, proxy rest.
     */
    static final class Decode {
        static final class Counting extends java.io.InputStream {
            final java.io.InputStream in;
            long pos;

            Counting(java.io.InputStream in, long pos) {
                this.in = in;
                this.pos = pos;
            }

            @Override
            public int read() throws IOException {
                int b = in.read();
                if (b >= 0) {
                    pos++;
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, len);
                if (n > 0) {
                    pos += n;
                }
                return n;
            }
        }

        static long serializedSize(java.util.function.Consumer<org.apache.flink.core.memory.DataOutputView> w) {
            org.apache.flink.core.memory.DataOutputSerializer o = new org.apache.flink.core.memory.DataOutputSerializer(256);
            w.accept(o);
            return o.length();
        }

        static final String HEAD = "checkpoint_id\toperator\tsubtask\tstate_id\tstate\tbackend_type\tkeyed_type\tmeta_bytes\tentries\tkey_groups\tframing_bytes\tns_bytes\tkey_bytes\tvalue_bytes\tvalue_min\tvalue_max\ttotal_bytes\tserializers";

        static void run(String[] args) throws Exception {
            Path chk = Paths.get(args[0].substring("decode=".length()));
            if (chk.getFileName().toString().equals("_metadata")) {
                chk = chk.getParent();
            }
            String outFile = null;
            for (String a : args) {
                if (a.startsWith("out=")) {
                    outFile = a.substring(4);
                }
            }
            PrintWriter w = outFile == null ? new PrintWriter(System.out) : new PrintWriter(Files.newBufferedWriter(Paths.get(outFile)));
            w.println(HEAD);
            decode(chk, w, -1, new HashMap<>());
            w.flush();
            if (outFile != null) {
                w.close();
            }
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        static void decode(Path chk, PrintWriter w, long cid, Map<String, String> labels) throws Exception {
            ClassLoader cl = OracleJob.class.getClassLoader();
            CheckpointMetadata md;
            try (DataInputStream in = new DataInputStream(new FileInputStream(chk.resolve("_metadata").toFile()))) {
                md = Checkpoints.loadCheckpointMetadata(in, cl, chk.toString());
            }
            for (OperatorState os : md.getOperatorStates()) {
                for (Map.Entry<Integer, OperatorSubtaskState> e : os.getSubtaskStates().entrySet()) {
                    for (KeyedStateHandle kh : e.getValue().getManagedKeyedState()) {
                        if (!(kh instanceof KeyGroupsStateHandle)) {
                            continue;
                        }
                        KeyGroupsStateHandle h = (KeyGroupsStateHandle) kh;
                        String opId = cid + "\t" + labels.getOrDefault(os.getOperatorID().toString(), os.getOperatorID().toString());
                        int st = e.getKey();
                        try (java.io.InputStream raw = h.getDelegateStateHandle().openInputStream()) {
                            Counting c = new Counting(new java.io.BufferedInputStream(raw, 1 << 16), 0);
                            org.apache.flink.core.memory.DataInputViewStreamWrapper v = new org.apache.flink.core.memory.DataInputViewStreamWrapper(c);
                            org.apache.flink.runtime.state.KeyedBackendSerializationProxy<Object> proxy =
                                    new org.apache.flink.runtime.state.KeyedBackendSerializationProxy<>(cl);
                            proxy.read(v);
                            long header = c.pos;
                            List<org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot> metas = proxy.getStateMetaInfoSnapshots();
                            org.apache.flink.api.common.typeutils.TypeSerializer keySer = proxy.getKeySerializerSnapshot().restoreSerializer();
                            long keySnap = serializedSize(o -> {
                                try {
                                    org.apache.flink.api.common.typeutils.TypeSerializerSnapshot.writeVersionedSnapshot(o, proxy.getKeySerializerSnapshot());
                                } catch (IOException ex) {
                                    throw new RuntimeException(ex);
                                }
                            });
                            int n = metas.size();
                            long[] metaBytes = new long[n], entries = new long[n], kgs = new long[n], framing = new long[n], nsB = new long[n], keyB = new long[n], valB = new long[n];
                            long[] vmin = new long[n], vmax = new long[n];
                            java.util.Arrays.fill(vmin, Long.MAX_VALUE);
                            org.apache.flink.api.common.typeutils.TypeSerializer[] nsSer = new org.apache.flink.api.common.typeutils.TypeSerializer[n];
                            org.apache.flink.api.common.typeutils.TypeSerializer[] valSer = new org.apache.flink.api.common.typeutils.TypeSerializer[n];
                            String[] sers = new String[n];
                            long metaSum = 0;
                            for (int i = 0; i < n; i++) {
                                org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot m = metas.get(i);
                                final int ii = i;
                                metaBytes[i] = serializedSize(o -> {
                                    try {
                                        org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshotReadersWriters.getWriter().writeStateMetaInfoSnapshot(metas.get(ii), o);
                                    } catch (IOException ex) {
                                        throw new RuntimeException(ex);
                                    }
                                });
                                metaSum += metaBytes[i];
                                if (m.getBackendStateType() == org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot.BackendStateType.KEY_VALUE) {
                                    nsSer[i] = m.getTypeSerializerSnapshot(org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot.CommonSerializerKeys.NAMESPACE_SERIALIZER).restoreSerializer();
                                    valSer[i] = m.getTypeSerializerSnapshot(org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot.CommonSerializerKeys.VALUE_SERIALIZER).restoreSerializer();
                                    sers[i] = "ns=" + nsSer[i].getClass().getSimpleName() + " value=" + describe(valSer[i]);
                                } else {
                                    valSer[i] = m.getTypeSerializerSnapshot(org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot.CommonSerializerKeys.VALUE_SERIALIZER).restoreSerializer();
                                    sers[i] = "element=" + describe(valSer[i]);
                                }
                            }
                            // key groups in offset order
                            List<Tuple2<Integer, Long>> offs = new ArrayList<>();
                            h.getGroupRangeOffsets().forEach(offs::add);
                            offs.sort((a, b) -> Long.compare(a.f1, b.f1));
                            for (Tuple2<Integer, Long> kg : offs) {
                                if (c.pos != kg.f1) {
                                    throw new IllegalStateException("key group " + kg.f0 + " at " + kg.f1 + " but stream at " + c.pos);
                                }
                                int kgId = v.readInt();
                                if (kgId != kg.f0) {
                                    throw new IllegalStateException("key group id " + kgId + " != " + kg.f0);
                                }
                                for (int i = 0; i < n; i++) {
                                    int sid = v.readShort();
                                    int cnt = v.readInt();
                                    framing[sid] += 6;
                                    kgs[sid]++;
                                    entries[sid] += cnt;
                                    for (int k = 0; k < cnt; k++) {
                                        if (nsSer[sid] != null) {
                                            long p0 = c.pos;
                                            nsSer[sid].deserialize(v);
                                            long p1 = c.pos;
                                            keySer.deserialize(v);
                                            long p2 = c.pos;
                                            valSer[sid].deserialize(v);
                                            long p3 = c.pos;
                                            nsB[sid] += p1 - p0;
                                            keyB[sid] += p2 - p1;
                                            valB[sid] += p3 - p2;
                                            vmin[sid] = Math.min(vmin[sid], p3 - p2);
                                            vmax[sid] = Math.max(vmax[sid], p3 - p2);
                                        } else {
                                            long p0 = c.pos;
                                            valSer[sid].deserialize(v);
                                            long p1 = c.pos;
                                            valB[sid] += p1 - p0;
                                            vmin[sid] = Math.min(vmin[sid], p1 - p0);
                                            vmax[sid] = Math.max(vmax[sid], p1 - p0);
                                        }
                                    }
                                }
                            }
                            long end = c.pos;
                            if (end != h.getStateSize()) {
                                throw new IllegalStateException("decoded " + end + " of " + h.getStateSize());
                            }
                            w.println(opId + "\t" + st + "\t-\t(header)\t-\t-\t" + header + "\t\t" + offs.size() + "\t" + (4L * offs.size())
                                    + "\t\t\t\t\t\t" + end + "\tkey_serializer_snapshot=" + keySnap + " meta_info_sum=" + metaSum
                                    + " proxy_rest=" + (header - keySnap - metaSum) + " key=" + keySer.getClass().getSimpleName());
                            for (int i = 0; i < n; i++) {
                                org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot m = metas.get(i);
                                w.println(opId + "\t" + st + "\t" + i + "\t" + m.getName() + "\t" + m.getBackendStateType() + "\t"
                                        + (m.getOption(org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot.CommonOptionsKeys.KEYED_STATE_TYPE) == null ? "" : m.getOption(org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot.CommonOptionsKeys.KEYED_STATE_TYPE))
                                        + "\t" + metaBytes[i] + "\t" + entries[i] + "\t" + kgs[i] + "\t" + framing[i] + "\t" + nsB[i] + "\t" + keyB[i] + "\t" + valB[i]
                                        + "\t" + (entries[i] > 0 ? vmin[i] : 0) + "\t" + (entries[i] > 0 ? vmax[i] : 0) + "\t" + (framing[i] + nsB[i] + keyB[i] + valB[i]) + "\t" + sers[i]);
                            }
                        }
                    }
                }
            }
        }

        static String describe(org.apache.flink.api.common.typeutils.TypeSerializer<?> s) {
            String n = s.getClass().getSimpleName();
            try {
                if (s instanceof org.apache.flink.api.common.typeutils.base.ListSerializer) {
                    return n + "<" + describe(((org.apache.flink.api.common.typeutils.base.ListSerializer<?>) s).getElementSerializer()) + ">";
                }
                if (s instanceof org.apache.flink.api.common.typeutils.base.MapSerializer) {
                    org.apache.flink.api.common.typeutils.base.MapSerializer<?, ?> ms = (org.apache.flink.api.common.typeutils.base.MapSerializer<?, ?>) s;
                    return n + "<" + describe(ms.getKeySerializer()) + "," + describe(ms.getValueSerializer()) + ">";
                }
                if (s instanceof org.apache.flink.api.common.typeutils.CompositeSerializer) {
                    java.lang.reflect.Field f = org.apache.flink.api.common.typeutils.CompositeSerializer.class.getDeclaredField("fieldSerializers");
                    f.setAccessible(true);
                    org.apache.flink.api.common.typeutils.TypeSerializer<?>[] fs = (org.apache.flink.api.common.typeutils.TypeSerializer<?>[]) f.get(s);
                    StringBuilder b = new StringBuilder(n + "<");
                    for (int i = 0; i < fs.length; i++) {
                        b.append(i > 0 ? "," : "").append(describe(fs[i]));
                    }
                    return b.append(">").toString();
                }
            } catch (Exception ex) {
                return n;
            }
            return n;
        }
    }

    // ------------------------------------------------------------------------------------------
    // main
    // ------------------------------------------------------------------------------------------

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].startsWith("decode=")) {
            Decode.run(args);
            return;
        }
        Params p = new Params();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value, got " + a);
            }
            p.m.put(a.substring(0, eq), a.substring(eq + 1));
        }
        Path out = Paths.get(p.s("out_dir", "/tmp/oracle-out")).toAbsolutePath();
        Files.createDirectories(out);
        Files.deleteIfExists(out.resolve("source_done"));
        p.m.put("out_dir", out.toString());
        Path work = Paths.get(p.s("work_dir", "/tmp/oracle-work")).toAbsolutePath();
        deleteRecursively(work);
        Files.createDirectories(work);
        Path chkDir = work.resolve("checkpoints");

        final int parallelism = p.i("parallelism", 1);
        final int maxPar = p.i("max_parallelism", -1); // -1: Flink default
        final int effMaxPar =
                maxPar > 0 ? maxPar : KeyGroupRangeAssignment.computeDefaultMaxParallelism(parallelism);
        final String backend = p.s("backend", "hashmap");
        final String storage = p.s("checkpoint_storage", "filesystem");
        final boolean incremental = p.b("incremental", false);
        final boolean compression = p.b("compression", false);
        final String timerService = p.s("timer_service", "");
        final long interval = p.l("checkpoint_interval_ms", 100);
        final long phaseRecords = p.l("phase_records", 10_000);

        long t0 = System.currentTimeMillis();
        // ---- trace --------------------------------------------------------------------------
        if (p.b("write_trace", true)) {
            writeTrace(p, effMaxPar, out.resolve("trace.csv.gz"));
        }
        long tTrace = System.currentTimeMillis();

        // ---- configuration ------------------------------------------------------------------
        Configuration conf = new Configuration();
        if (p.l("ttl_ms", 0) > 0 || p.l("dedup_ttl_ms", 0) > 0 || p.b("clock_backend", false)) {
            // TTL on a logical processing-time clock: wrap the backend so its TtlTimeProvider is Clock
            conf.setString("state.backend.type", ClockBackendFactory.class.getName());
            conf.setString("oracle.clock.delegate", backend);
        } else {
            conf.setString("state.backend.type", backend);
        }
        conf.setString("execution.checkpointing.storage", storage);
        conf.setString("execution.checkpointing.dir", chkDir.toUri().toString());
        conf.setString("execution.checkpointing.incremental", Boolean.toString(incremental));
        conf.setString("execution.checkpointing.snapshot-compression", Boolean.toString(compression));
        conf.setString("execution.checkpointing.num-retained", "100000");
        conf.setString("execution.checkpointing.interval", interval + " ms");
        conf.setString("execution.checkpointing.min-pause", p.s("checkpoint_min_pause_ms", "0") + " ms");
        conf.setString("execution.checkpointing.timeout", "10 min");
        conf.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        conf.setString("execution.checkpointing.tolerable-failed-checkpoints", p.s("tolerable_failed_checkpoints", "1000000"));
        conf.setString("execution.checkpointing.data-inline-threshold", p.s("inline_threshold", "20kb"));
        conf.setString("restart-strategy.type", "none");
        conf.setString("web.checkpoints.history", "100000");
        conf.setString("pipeline.auto-watermark-interval", "0 ms");
        final int slots = Math.max(1, Math.max(Math.max(parallelism, p.i("window_parallelism", parallelism)),
                Math.max(p.i("dedup_left_parallelism", parallelism), p.i("dedup_right_parallelism", parallelism))));
        conf.setString("taskmanager.numberOfTaskSlots", Integer.toString(slots));
        conf.setString("parallelism.default", Integer.toString(parallelism));
        if (maxPar > 0) {
            conf.setString("pipeline.max-parallelism", Integer.toString(maxPar));
        }
        if (!timerService.isEmpty()) {
            conf.setString("state.backend.rocksdb.timer-service.factory", timerService);
        }
        conf.setString("state.backend.rocksdb.localdir", work.resolve("rocksdb").toString());
        Files.createDirectories(work.resolve("rocksdb-log"));
        // rdb-oracle: keep RocksDB's own LOG (INFO level) outside the instance dirs, which are deleted on dispose
        conf.setString("state.backend.rocksdb.log.level", "INFO_LEVEL");
        conf.setString("state.backend.rocksdb.log.dir", work.resolve("rocksdb-log").toString());
        conf.setString("state.backend.rocksdb.log.file-num", "100");
        conf.setString("state.backend.rocksdb.log.max-file-size", "256mb");
        conf.setString("taskmanager.memory.network.min", "128 mb");
        conf.setString("taskmanager.memory.network.max", "128 mb");
        for (Map.Entry<String, String> e : p.m.entrySet()) {
            if (e.getKey().startsWith("flink.")) {
                conf.setString(e.getKey().substring(6), e.getValue());
            }
        }

        // ---- pipeline -----------------------------------------------------------------------
        StreamExecutionEnvironment env = new StreamExecutionEnvironment(conf);
        env.setParallelism(parallelism);
        if (maxPar > 0) {
            env.setMaxParallelism(maxPar);
        }
        final Params pp = p;
        WatermarkStrategy<Tuple3<Long, Long, String>> wms =
                WatermarkStrategy.<Tuple3<Long, Long, String>>forGenerator(ctx -> new PhasedWatermarks(pp))
                        .withTimestampAssigner((e, ts) -> e.f1);
        DataStream<Tuple3<Long, Long, String>> src =
                env.fromSource(new PhasedSource(p), wms, "SOURCE", REC_TYPE)
                        .setParallelism(1)
                        .uid("source");

        final String operator = p.s("operator", "window");
        final int windowPar = p.i("window_parallelism", parallelism);
        DataStream<?> last;
        switch (operator) {
            case "sql_dedup":
            case "sql_join":
                last = SqlJobs.build(env, src, p);
                break;
            case "window":
                last = windowOp(p, src, parallelism);
                break;
            case "process":
                last = src.keyBy(new KeyOf(), TypeInformation.of(Long.class)).process(new StatefulProcess(p), REC_TYPE)
                        .name("PROCESS").uid("process").setParallelism(parallelism);
                break;
            case "process_window": {
                SingleOutputStreamOperator<Tuple3<Long, Long, String>> pr =
                        src.keyBy(new KeyOf(), TypeInformation.of(Long.class)).process(new StatefulProcess(p), REC_TYPE)
                                .name("PROCESS").uid("process").setParallelism(parallelism);
                last = windowOp(p, pr, windowPar);
                break;
            }
            case "dedup":
                last = src.keyBy(new KeyOf(), TypeInformation.of(Long.class)).process(new Dedup(p), REC_TYPE)
                        .name("DEDUP").uid("dedup").setParallelism(parallelism);
                break;
            case "interval_join": {
                DataStream<Tuple3<Long, Long, String>> l = src.filter(new SideFilter('L')).name("LEFT").uid("left").setParallelism(1);
                DataStream<Tuple3<Long, Long, String>> r = src.filter(new SideFilter('R')).name("RIGHT").uid("right").setParallelism(1);
                last = l.keyBy(new KeyOf(), TypeInformation.of(Long.class))
                        .intervalJoin(r.keyBy(new KeyOf(), TypeInformation.of(Long.class)))
                        .between(Duration.ofMillis(p.l("join_lower_ms", -1000)), Duration.ofMillis(p.l("join_upper_ms", 1000)))
                        .process(new PairCount(), TypeInformation.of(Long.class))
                        .name("IJOIN").uid("ijoin").setParallelism(parallelism);
                break;
            }
            case "join": {
                DataStream<Tuple3<Long, Long, String>> l = src.filter(new SideFilter('L')).name("LEFT").uid("left").setParallelism(1);
                DataStream<Tuple3<Long, Long, String>> r = src.filter(new SideFilter('R')).name("RIGHT").uid("right").setParallelism(1);
                last = l.connect(r).keyBy(new KeyOf(), new KeyOf()).process(new UnboundedJoin(p), TypeInformation.of(Long.class))
                        .name("JOIN").uid("join").setParallelism(parallelism);
                break;
            }
            case "dedup_join": {
                // left -> keyBy -> dedup (dedup_left_parallelism), right -> keyBy -> dedup
                // (dedup_right_parallelism), both -> connect/keyBy -> join (parallelism); the dedups
                // emit the first record per key (per TTL period: dedup_ttl_* parameters), the join keeps
                // every record it receives (ttl_* parameters on its lists)
                Params dp = dedupParams(p);
                DataStream<Tuple3<Long, Long, String>> l = src.filter(new SideFilter('L')).name("LEFT").uid("left").setParallelism(1);
                DataStream<Tuple3<Long, Long, String>> r = src.filter(new SideFilter('R')).name("RIGHT").uid("right").setParallelism(1);
                SingleOutputStreamOperator<Tuple3<Long, Long, String>> dl =
                        l.keyBy(new KeyOf(), TypeInformation.of(Long.class)).process(new Dedup(dp), REC_TYPE)
                                .name("DEDUP_LEFT").uid("dedup_left").setParallelism(p.i("dedup_left_parallelism", parallelism));
                SingleOutputStreamOperator<Tuple3<Long, Long, String>> dr =
                        r.keyBy(new KeyOf(), TypeInformation.of(Long.class)).process(new Dedup(dp), REC_TYPE)
                                .name("DEDUP_RIGHT").uid("dedup_right").setParallelism(p.i("dedup_right_parallelism", parallelism));
                last = dl.connect(dr).keyBy(new KeyOf(), new KeyOf()).process(new UnboundedJoin(p), TypeInformation.of(Long.class))
                        .name("JOIN").uid("join").setParallelism(parallelism);
                break;
            }
            default:
                throw new IllegalArgumentException("operator " + operator);
        }
        ((DataStream<Object>) (DataStream) last).sinkTo(new DiscardingSink<>()).name("SINK").uid("sink")
                .setParallelism(last.getParallelism());

        JobGraph jobGraph = env.getStreamGraph().getJobGraph();
        // every keyed vertex, in pipeline order: name marker -> operator label in the tables
        String[][] markers = {{"PROCESS", "process"}, {"DEDUP_LEFT", "dedup_left"}, {"DEDUP_RIGHT", "dedup_right"}, {"DEDUP", "dedup"},
            {"IJOIN", "interval_join"}, {"JOIN", "join"}, {"WINDOW", "window"}};
        final boolean sqlJob = operator.startsWith("sql_");
        if (sqlJob) {
            markers = SqlJobs.MARKERS;
        }
        List<Measured> measured = new ArrayList<>();
        for (String[] mk : markers) {
            for (JobVertex v : jobGraph.getVertices()) {
                String vn = v.getName();
                boolean hit = sqlJob ? vn.startsWith(mk[0] + "[") || vn.startsWith(mk[0] + "(")
                        : mk[0].equals("JOIN") ? vn.matches("(^|.*[^I])JOIN.*")
                        : mk[0].equals("DEDUP") ? vn.contains("DEDUP") && !vn.contains("DEDUP_") : vn.contains(mk[0]);
                if (hit) {
                    Measured m = new Measured();
                    m.label = mk[1];
                    m.vertex = v;
                    v.getOperatorIDs().forEach(pair -> m.ops.add(pair.getGeneratedOperatorID()));
                    int vp = v.getParallelism();
                    m.maxPar = maxPar > 0 ? maxPar : KeyGroupRangeAssignment.computeDefaultMaxParallelism(vp);
                    measured.add(m);
                }
            }
        }
        if (measured.isEmpty()) {
            throw new IllegalStateException("no keyed vertex found");
        }
        JobVertex windowVertex = measured.get(0).vertex;

        // ---- run ----------------------------------------------------------------------------
        MiniClusterConfiguration mcc =
                new MiniClusterConfiguration.Builder()
                        .setConfiguration(conf)
                        .setNumTaskManagers(1)
                        .setNumSlotsPerTaskManager(slots)
                        .build();
        String jobStatus;
        String jobFailure = "";
        AccessExecutionGraph graph;
        long tStart, tDone;
        try (MiniCluster mc = new MiniCluster(mcc)) {
            mc.start();
            tStart = System.currentTimeMillis();
            JobID jobId = mc.submitJob(jobGraph).get().getJobID();
            long deadline = System.currentTimeMillis() + p.l("job_timeout_ms", 600_000);
            while (true) {
                if (Files.exists(out.resolve("source_done"))) {
                    break;
                }
                org.apache.flink.api.common.JobStatus st = mc.getJobStatus(jobId).get();
                if (st.isGloballyTerminalState()) {
                    break;
                }
                if (System.currentTimeMillis() > deadline) {
                    System.err.println("ORACLE: job timeout");
                    break;
                }
                Thread.sleep(20);
            }
            tDone = System.currentTimeMillis();
            org.apache.flink.api.common.JobStatus st = mc.getJobStatus(jobId).get();
            if (!st.isGloballyTerminalState()) {
                mc.cancelJob(jobId).get();
            }
            JobResult jr = mc.requestJobResult(jobId).get();
            graph = mc.getArchivedExecutionGraph(jobId).get();
            jobStatus = graph.getState().toString();
            if (jr.getSerializedThrowable().isPresent()) {
                jobFailure = jr.getSerializedThrowable().get().getFullStringifiedStackTrace();
            }
        }
        long tEnd = System.currentTimeMillis();

        // ---- read the checkpoints -----------------------------------------------------------
        measure(p, graph, measured, chkDir, out);
        if (p.b("decode_states", true)) {
            // what each state's bytes consist of, per checkpoint (heap snapshots only)
            Map<String, String> labels = new HashMap<>();
            for (Measured m : measured) {
                for (OperatorID id : m.ops) {
                    labels.put(id.toString(), m.label);
                }
            }
            Path jobChk = chkDir.resolve(graph.getJobID().toString());
            try (PrintWriter sw = new PrintWriter(Files.newBufferedWriter(out.resolve("states.tsv")))) {
                sw.println(Decode.HEAD);
                List<Long> ids = new ArrayList<>();
                if (Files.isDirectory(jobChk)) {
                    try (Stream<Path> ds = Files.list(jobChk)) {
                        for (Path d : (Iterable<Path>) ds::iterator) {
                            String fn = d.getFileName().toString();
                            if (fn.startsWith("chk-") && Files.exists(d.resolve("_metadata"))) {
                                ids.add(Long.parseLong(fn.substring(4)));
                            }
                        }
                    }
                }
                Collections.sort(ids);
                for (long id : ids) {
                    try {
                        Decode.decode(jobChk.resolve("chk-" + id), sw, id, labels);
                    } catch (Exception ex) {
                        sw.println(id + "\tDECODE_ERROR\t" + ex.toString().replace('\t', ' ').replace('\n', ' '));
                    }
                }
            }
        }
        long tMeasure = System.currentTimeMillis();

        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve("run_info.txt")))) {
            w.println("job_status=" + jobStatus);
            w.println("effective_max_parallelism=" + effMaxPar);
            for (Measured m : measured) {
                w.println("keyed_vertex=" + m.label + ":" + m.vertex.getName() + ":p" + m.vertex.getParallelism() + ":maxp" + m.maxPar);
            }
            w.println("flink_version=" + org.apache.flink.runtime.util.EnvironmentInformation.getVersion());
            w.println("trace_ms=" + (tTrace - t0));
            w.println("job_ms=" + (tDone - tStart));
            w.println("cluster_total_ms=" + (tEnd - tTrace));
            w.println("measure_ms=" + (tMeasure - tEnd));
            w.println("total_ms=" + (tMeasure - t0));
            w.println("job_failure=" + jobFailure.replace('\n', ' ').replace('\r', ' '));
        }
        System.out.println("ORACLE_OK " + out);
        System.exit(0);
    }

    static final class Measured {
        String label;
        JobVertex vertex;
        List<OperatorID> ops = new ArrayList<>();
        int maxPar;
    }

    static SingleOutputStreamOperator<?> windowOp(Params p, DataStream<Tuple3<Long, Long, String>> src, int parallelism) {
        final String windowKind = p.s("window_kind", "tumbling");
        final long size = p.l("window_size_ms", 5000);
        final long slide = p.l("window_slide_ms", 1000);
        final long gap = p.l("session_gap_ms", 30000);
        final long lateness = p.l("allowed_lateness_ms", 0);
        WindowAssigner<Object, TimeWindow> assigner;
        switch (windowKind) {
            case "tumbling":
                assigner = TumblingEventTimeWindows.of(Duration.ofMillis(size));
                break;
            case "sliding":
                assigner = SlidingEventTimeWindows.of(Duration.ofMillis(size), Duration.ofMillis(slide));
                break;
            case "session":
                assigner = EventTimeSessionWindows.withGap(Duration.ofMillis(gap));
                break;
            default:
                throw new IllegalArgumentException("window_kind " + windowKind);
        }
        WindowedStream<Tuple3<Long, Long, String>, Long, TimeWindow> ws =
                src.keyBy(new KeyOf(), TypeInformation.of(Long.class)).window(assigner);
        if (lateness > 0) {
            ws = ws.allowedLateness(Duration.ofMillis(lateness));
        }
        final String fn = p.s("function_kind", "process");
        SingleOutputStreamOperator<?> win;
        switch (fn) {
            case "process":
                win = ws.process(new CountProcess());
                break;
            case "aggregate":
                win = ws.aggregate(new CountSumAgg());
                break;
            case "reduce":
                win = ws.reduce(new LatestReduce());
                break;
            default:
                throw new IllegalArgumentException("function_kind " + fn);
        }
        win.name("WINDOW").uid("window").setParallelism(parallelism);
        return win;
    }

    static void writeTrace(Params p, int maxPar, Path file) throws IOException {
        Gen g = makeGen(p);
        g.init();
        boolean ops = !p.s("operator", "window").equals("window");
        int subkeys = p.i("map_subkeys", 0);
        long lag = p.l("proc_lag_ms", 0);
        boolean two = twoInputs(p);
        boolean sql = p.s("operator", "").startsWith("sql_");
        long phaseRecords = p.l("phase_records", 10_000);
        List<Tuple3<Long, Long, String>> phase = new ArrayList<>();
        long maxTs = Long.MIN_VALUE;
        try (Writer w =
                new BufferedWriter(
                        new OutputStreamWriter(
                                new GZIPOutputStream(new FileOutputStream(file.toFile()), 1 << 16),
                                StandardCharsets.US_ASCII),
                        1 << 16)) {
            w.write(ops ? "key,ts,payload_bytes,key_group,stream,sub_key,proc_ms\n" : "key,ts,payload_bytes,key_group\n");
            StringBuilder sb = new StringBuilder(64);
            HashMap<Long, Integer> kgCache = new HashMap<>();
            for (long i = 0; i < g.n; i++) {
                if (sql && phase.isEmpty()) {
                    // the phase clock (PhasedSource): a phase's records are processed at its last record's time
                    for (long j = i; j < Math.min(g.n, i + phaseRecords); j++) {
                        Tuple3<Long, Long, String> q = g.next();
                        maxTs = Math.max(maxTs, q.f1);
                        phase.add(q);
                    }
                    java.util.Collections.reverse(phase);
                }
                Tuple3<Long, Long, String> r = sql ? phase.remove(phase.size() - 1) : g.next();
                Integer kg = kgCache.get(r.f0);
                if (kg == null) {
                    kg = sql ? SqlJobs.keyGroup(r.f0, maxPar) : KeyGroupRangeAssignment.assignToKeyGroup(r.f0, maxPar);
                    kgCache.put(r.f0, kg);
                }
                sb.setLength(0);
                sb.append(r.f0).append(',').append(r.f1).append(',').append(r.f2.length()).append(',').append(kg);
                if (ops) {
                    sb.append(',').append(two ? String.valueOf(r.f2.charAt(0)) : "");
                    sb.append(',').append(subkeys > 0 ? Integer.toString(subKey(r, subkeys)) : "");
                    sb.append(',').append(sql ? maxTs + lag : r.f1 + lag);
                }
                sb.append('\n');
                w.write(sb.toString());
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Measurement
    // ------------------------------------------------------------------------------------------

    static final class HandleStats {
        long stateSize, checkpointedSize, inlineBytes, fileBytes, headerBytes = -1;
        List<String> kinds = new ArrayList<>();
        List<String> files = new ArrayList<>();
        int kgStart = -1, kgEnd = -1;
        TreeMap<Integer, Long> kgBytes = new TreeMap<>();
        // rdb-oracle: every stream handle with its role (meta/shared/private/kgs) and local path
        List<Object[]> det = new ArrayList<>();
        String backendId = "";
    }

    static void dumpHandles(PrintWriter w, Path inlineDir, String op, long cid, int st, String which, HandleStats hs) throws IOException {
        for (Object[] d : hs.det) {
            String role = (String) d[0];
            String local = (String) d[1];
            StreamStateHandle h = (StreamStateHandle) d[2];
            String loc;
            if (h instanceof ByteStreamStateHandle) {
                Files.createDirectories(inlineDir);
                String fn = op + "_chk" + cid + "_st" + st + "_" + which + "_" + role + "_" + local.replace('/', '_');
                Files.write(inlineDir.resolve(fn), ((ByteStreamStateHandle) h).getData());
                loc = "inline:" + fn;
            } else if (h instanceof FileStateHandle) {
                loc = ((FileStateHandle) h).getFilePath().getPath();
            } else {
                loc = "?";
            }
            w.println(op + "\t" + cid + "\t" + st + "\t" + which + "\t" + role + "\t" + local + "\t" + h.getClass().getSimpleName()
                    + "\t" + h.getStateSize() + "\t" + loc + "\t" + hs.backendId);
        }
    }

    static long fileMismatches = 0, filesChecked = 0;

    static void addStream(HandleStats hs, StreamStateHandle h) {
        if (h == null) {
            return;
        }
        if (h instanceof ByteStreamStateHandle) {
            hs.inlineBytes += h.getStateSize();
        } else if (h instanceof FileStateHandle) {
            hs.fileBytes += h.getStateSize();
            File f = new File(((FileStateHandle) h).getFilePath().toUri().getPath());
            if (!f.isFile() || f.length() != h.getStateSize()) {
                fileMismatches++;
            }
            filesChecked++;
            hs.files.add(((FileStateHandle) h).getFilePath().getPath() + "\t" + h.getStateSize());
        } else {
            hs.fileBytes += h.getStateSize();
            hs.kinds.add("stream:" + h.getClass().getSimpleName());
        }
    }

    static HandleStats keyedStats(Iterable<KeyedStateHandle> handles) {
        HandleStats hs = new HandleStats();
        for (KeyedStateHandle h : handles) {
            hs.stateSize += h.getStateSize();
            hs.checkpointedSize += h.getCheckpointedSize();
            hs.kinds.add(h.getClass().getSimpleName());
            KeyGroupRange r = h.getKeyGroupRange();
            if (r != null && r.getNumberOfKeyGroups() > 0) {
                hs.kgStart = hs.kgStart < 0 ? r.getStartKeyGroup() : Math.min(hs.kgStart, r.getStartKeyGroup());
                hs.kgEnd = Math.max(hs.kgEnd, r.getEndKeyGroup());
            }
            if (h instanceof KeyGroupsStateHandle) {
                KeyGroupsStateHandle k = (KeyGroupsStateHandle) h;
                addStream(hs, k.getDelegateStateHandle());
                hs.det.add(new Object[] {"kgs", "-", k.getDelegateStateHandle()});
                long total = k.getDelegateStateHandle().getStateSize();
                List<Tuple2<Integer, Long>> offs = new ArrayList<>();
                k.getGroupRangeOffsets().forEach(offs::add);
                offs.sort((a, b) -> Long.compare(a.f1, b.f1) != 0 ? Long.compare(a.f1, b.f1) : Integer.compare(a.f0, b.f0));
                if (!offs.isEmpty()) {
                    hs.headerBytes = Math.max(0, hs.headerBytes) + offs.get(0).f1;
                }
                for (int i = 0; i < offs.size(); i++) {
                    long end = i + 1 < offs.size() ? offs.get(i + 1).f1 : total;
                    hs.kgBytes.merge(offs.get(i).f0, end - offs.get(i).f1, Long::sum);
                }
            } else if (h instanceof IncrementalRemoteKeyedStateHandle) {
                IncrementalRemoteKeyedStateHandle ih = (IncrementalRemoteKeyedStateHandle) h;
                addStream(hs, ih.getMetaDataStateHandle());
                hs.headerBytes = Math.max(0, hs.headerBytes) + ih.getMetaDataStateHandle().getStateSize();
                hs.backendId = String.valueOf(ih.getBackendIdentifier()) + "\t" + ih.getCheckpointId() + "\t" + ih.getCheckpointedSize();
                hs.det.add(new Object[] {"meta", "-", ih.getMetaDataStateHandle()});
                for (IncrementalKeyedStateHandle.HandleAndLocalPath hp : ih.getSharedState()) {
                    addStream(hs, hp.getHandle());
                    hs.det.add(new Object[] {"shared", hp.getLocalPath(), hp.getHandle()});
                }
                for (IncrementalKeyedStateHandle.HandleAndLocalPath hp : ih.getPrivateState()) {
                    addStream(hs, hp.getHandle());
                    hs.det.add(new Object[] {"private", hp.getLocalPath(), hp.getHandle()});
                }
            }
        }
        return hs;
    }

    static long opStateSize(Iterable<OperatorStateHandle> handles) {
        long s = 0;
        for (OperatorStateHandle h : handles) {
            s += h.getStateSize();
        }
        return s;
    }

    static String csv(String s) {
        if (s == null) {
            return "";
        }
        return "\"" + s.replace("\"", "\"\"").replace('\n', ' ').replace('\r', ' ') + "\"";
    }

    static void measure(Params p, AccessExecutionGraph graph, List<Measured> measured, Path chkDir, Path out)
            throws Exception {
        // source log: checkpoint id -> emitted/ts/wm/phase
        Map<Long, String[]> snap = new HashMap<>();
        Map<Long, String> fate = new HashMap<>();
        Path slog = out.resolve("source_log.csv");
        if (Files.exists(slog)) {
            for (String line : Files.readAllLines(slog)) {
                String[] f = line.split(",", -1);
                if (f[0].equals("SNAPSHOT")) {
                    snap.put(Long.parseLong(f[1]), f);
                } else if (f[0].equals("COMPLETE") || f[0].equals("ABORTED")) {
                    fate.put(Long.parseLong(f[1]), f[0]);
                }
            }
        }
        CheckpointStatsSnapshot stats = graph.getCheckpointStatsSnapshot();
        List<AbstractCheckpointStats> all = new ArrayList<>(stats.getHistory().getCheckpoints());
        all.sort((a, b) -> Long.compare(a.getCheckpointId(), b.getCheckpointId()));
        List<OperatorID> keyedOps = new ArrayList<>();
        for (Measured m : measured) {
            keyedOps.addAll(m.ops);
        }

        try (PrintWriter rows = new PrintWriter(Files.newBufferedWriter(out.resolve("measurements.csv")));
                PrintWriter cks = new PrintWriter(Files.newBufferedWriter(out.resolve("checkpoints.csv")));
                PrintWriter kgw = new PrintWriter(new OutputStreamWriter(new GZIPOutputStream(new FileOutputStream(out.resolve("keygroups.csv.gz").toFile())), StandardCharsets.US_ASCII));
                PrintWriter filesw = new PrintWriter(Files.newBufferedWriter(out.resolve("state_files.tsv")));
                PrintWriter handlesw = new PrintWriter(Files.newBufferedWriter(out.resolve("handles.tsv")))) {
            handlesw.println("operator\tcheckpoint_id\tsubtask\twhich\trole\tlocal_path\thandle_class\tsize\tlocation\tbackend_id\thandle_checkpoint_id\thandle_checkpointed_size");
            rows.println("checkpoint_id,checkpoint_status,phase,records_emitted,event_time_ms,watermark_ms,operator,subtask_index,"
                    + "key_group_start,key_group_end,keyed_state_bytes,checkpointed_bytes,raw_keyed_bytes,"
                    + "managed_operator_bytes,raw_operator_bytes,subtask_state_bytes,stats_state_bytes,stats_checkpointed_bytes,"
                    + "header_bytes,inline_bytes,file_bytes,nonempty_key_groups,handle_kinds");
            cks.println("checkpoint_id,checkpoint_status,phase,records_emitted,event_time_ms,watermark_ms,source_fate,"
                    + "stats_state_bytes,stats_checkpointed_bytes,metadata_file_bytes,window_keyed_state_bytes,window_checkpointed_bytes,"
                    + "all_operators_state_bytes,chk_dir_files_bytes,file_handles_bytes,inline_handles_bytes,fs_verified,external_path,failure_message");
            kgw.println("operator,checkpoint_id,subtask_index,key_group,bytes,raw_bytes");
            for (AbstractCheckpointStats cs : all) {
                long cid = cs.getCheckpointId();
                String[] s = snap.get(cid);
                String phase = s == null ? "" : s[5];
                String rec = s == null ? "" : s[2];
                String evt = s == null ? "" : s[3];
                String wm = s == null ? "" : s[4];
                String status = cs.getStatus().toString();
                String pre = cid + "," + status + "," + phase + "," + rec + "," + evt + "," + wm + ",";
                String failure = "";
                if (cs instanceof FailedCheckpointStats) {
                    failure = ((FailedCheckpointStats) cs).getFailureMessage();
                }
                if (!(cs instanceof CompletedCheckpointStats)) {
                    cks.println(pre + fate.getOrDefault(cid, "")
                            + "," + cs.getStateSize() + "," + cs.getCheckpointedSize() + ",,,,,,,,," + "," + csv(failure));
                    for (Measured m : measured) {
                        TaskStateStats tss = cs.getTaskStateStats(m.vertex.getID());
                        SubtaskStateStats[] sub = tss == null ? new SubtaskStateStats[0] : tss.getSubtaskStats();
                        for (int st = 0; st < m.vertex.getParallelism(); st++) {
                            SubtaskStateStats ss = st < sub.length ? sub[st] : null;
                            rows.println(pre + m.label + "," + st
                                    + ",,,,,,,,," + (ss != null && ss.isCompleted() ? ss.getStateSize() : "") + ","
                                    + (ss != null && ss.isCompleted() ? ss.getCheckpointedSize() : "") + ",,,,,");
                        }
                    }
                    continue;
                }
                String ext = ((CompletedCheckpointStats) cs).getExternalPath();
                Path chk = chkDir.resolve(graph.getJobID().toString()).resolve("chk-" + cid);
                Path meta = chk.resolve("_metadata");
                if (!Files.exists(meta)) {
                    cks.println(pre + fate.getOrDefault(cid, "")
                            + "," + cs.getStateSize() + "," + cs.getCheckpointedSize() + ",,,,,,,,," + csv(ext) + "," + csv("no _metadata"));
                    continue;
                }
                CheckpointMetadata md;
                try (DataInputStream in = new DataInputStream(new FileInputStream(meta.toFile()))) {
                    md = Checkpoints.loadCheckpointMetadata(in, OracleJob.class.getClassLoader(), chk.toString());
                }
                fileMismatches = 0;
                filesChecked = 0;
                long allOps = 0;
                long winKeyed = 0, winCk = 0, fileHandles = 0, inlineHandles = 0;
                for (OperatorState os : md.getOperatorStates()) {
                    allOps += os.getStateSize();
                    if (!keyedOps.contains(os.getOperatorID())) {
                        // account the other operators' stream handles for the fs verification
                        for (OperatorSubtaskState oss : os.getStates()) {
                            for (OperatorStateHandle oh : oss.getManagedOperatorState()) {
                                HandleStats t = new HandleStats();
                                addStream(t, oh.getDelegateStateHandle());
                                fileHandles += t.fileBytes;
                                inlineHandles += t.inlineBytes;
                            }
                        }
                        if (os.getCoordinatorState() != null) {
                            inlineHandles += os.getCoordinatorState().getStateSize();
                        }
                    }
                }
                for (Measured m : measured) {
                    TaskStateStats tss = cs.getTaskStateStats(m.vertex.getID());
                    SubtaskStateStats[] sub = tss == null ? new SubtaskStateStats[0] : tss.getSubtaskStats();
                    int parallelism = m.vertex.getParallelism();
                    Map<Integer, HandleStats> perSub = new TreeMap<>();
                    Map<Integer, HandleStats> perSubRaw = new TreeMap<>();
                    Map<Integer, long[]> perSubOther = new TreeMap<>();
                    for (OperatorState os : md.getOperatorStates()) {
                        if (!m.ops.contains(os.getOperatorID())) {
                            continue;
                        }
                        for (Map.Entry<Integer, OperatorSubtaskState> e : os.getSubtaskStates().entrySet()) {
                            OperatorSubtaskState oss = e.getValue();
                            HandleStats hs = keyedStats(oss.getManagedKeyedState());
                            HandleStats raw = keyedStats(oss.getRawKeyedState());
                            long mo = opStateSize(oss.getManagedOperatorState());
                            long ro = opStateSize(oss.getRawOperatorState());
                            for (OperatorStateHandle oh : oss.getManagedOperatorState()) {
                                addStream(raw, oh.getDelegateStateHandle());
                            }
                            for (OperatorStateHandle oh : oss.getRawOperatorState()) {
                                addStream(raw, oh.getDelegateStateHandle());
                            }
                            HandleStats prev = perSub.get(e.getKey());
                            if (prev == null || hs.stateSize > 0) {
                                if (prev != null && prev.stateSize > 0) {
                                    throw new IllegalStateException("two keyed operators in vertex " + m.label);
                                }
                                perSub.put(e.getKey(), hs);
                            }
                            HandleStats pr = perSubRaw.get(e.getKey());
                            if (pr == null) {
                                perSubRaw.put(e.getKey(), raw);
                            } else {
                                pr.stateSize += raw.stateSize;
                                pr.inlineBytes += raw.inlineBytes;
                                pr.fileBytes += raw.fileBytes;
                                pr.files.addAll(raw.files);
                                pr.det.addAll(raw.det);
                                raw.kgBytes.forEach((kk, vv) -> pr.kgBytes.merge(kk, vv, Long::sum));
                            }
                            long[] o = perSubOther.computeIfAbsent(e.getKey(), kk -> new long[3]);
                            o[0] += mo;
                            o[1] += ro;
                            o[2] += oss.getStateSize();
                        }
                    }
                    for (int st = 0; st < parallelism; st++) {
                        HandleStats hs = perSub.getOrDefault(st, new HandleStats());
                        HandleStats raw = perSubRaw.getOrDefault(st, new HandleStats());
                        long[] o = perSubOther.getOrDefault(st, new long[3]);
                        SubtaskStateStats ss = st < sub.length ? sub[st] : null;
                        winKeyed += hs.stateSize;
                        winCk += hs.checkpointedSize;
                        fileHandles += hs.fileBytes + raw.fileBytes;
                        inlineHandles += hs.inlineBytes + raw.inlineBytes;
                        dumpHandles(handlesw, out.resolve("inline"), m.label, cid, st, "managed_keyed", hs);
                        dumpHandles(handlesw, out.resolve("inline"), m.label, cid, st, "raw_keyed", raw);
                        for (String f : hs.files) {
                            filesw.println(m.label + "\t" + cid + "\t" + st + "\tmanaged_keyed\t" + f);
                        }
                        for (String f : raw.files) {
                            filesw.println(m.label + "\t" + cid + "\t" + st + "\traw_or_operator\t" + f);
                        }
                        int kgs = hs.kgStart, kge = hs.kgEnd;
                        if (kgs < 0) {
                            KeyGroupRange r = KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex(m.maxPar, parallelism, st);
                            kgs = r.getStartKeyGroup();
                            kge = r.getEndKeyGroup();
                        }
                        long nonEmpty = hs.kgBytes.values().stream().filter(v -> v > 0).count();
                        rows.println(pre + m.label + "," + st + ","
                                + kgs + "," + kge + "," + hs.stateSize + "," + hs.checkpointedSize + "," + raw.stateSize + ","
                                + o[0] + "," + o[1] + "," + o[2] + ","
                                + (ss != null && ss.isCompleted() ? ss.getStateSize() : "") + ","
                                + (ss != null && ss.isCompleted() ? ss.getCheckpointedSize() : "") + ","
                                + hs.headerBytes + "," + hs.inlineBytes + "," + hs.fileBytes + ","
                                + (hs.kgBytes.isEmpty() ? "" : Long.toString(nonEmpty)) + ","
                                + String.join("|", hs.kinds) + (raw.kinds.isEmpty() ? "" : "|raw:" + String.join("|", raw.kinds)));
                        for (Map.Entry<Integer, Long> kg : hs.kgBytes.entrySet()) {
                            Long rb = raw.kgBytes.get(kg.getKey());
                            kgw.println(m.label + "," + cid + "," + st + "," + kg.getKey() + "," + kg.getValue() + "," + (rb == null ? "" : rb));
                        }
                        if (hs.kgBytes.isEmpty()) {
                            for (Map.Entry<Integer, Long> kg : raw.kgBytes.entrySet()) {
                                kgw.println(m.label + "," + cid + "," + st + "," + kg.getKey() + ",," + kg.getValue());
                            }
                        }
                    }
                }
                // independent check: sum of the files physically present in chk-N (exclusive dir)
                long dirBytes = 0;
                try (Stream<Path> files = Files.list(chk)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        if (!f.getFileName().toString().equals("_metadata") && Files.isRegularFile(f)) {
                            dirBytes += Files.size(f);
                        }
                    }
                }
                boolean incr = p.b("incremental", false) && p.s("backend", "").equals("rocksdb");
                String verified;
                if (incr) {
                    verified = fileMismatches == 0 ? "files_ok:" + filesChecked : "files_mismatch:" + fileMismatches;
                } else {
                    verified = Boolean.toString(dirBytes == fileHandles && fileMismatches == 0);
                }
                cks.println(pre + fate.getOrDefault(cid, "")
                        + "," + cs.getStateSize() + "," + cs.getCheckpointedSize() + "," + Files.size(meta) + ","
                        + winKeyed + "," + winCk + "," + allOps + "," + dirBytes + "," + fileHandles + "," + inlineHandles + ","
                        + verified + "," + csv(ext) + ",");
            }
        }
        // key-group -> subtask assignment (Flink's own function), per keyed operator
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve("assignment.json")))) {
            Measured m0 = measured.get(0);
            w.println("{\"max_parallelism\": " + m0.maxPar + ", \"parallelism\": " + m0.vertex.getParallelism() + ", \"operators\": [");
            for (int i = 0; i < measured.size(); i++) {
                Measured m = measured.get(i);
                int parallelism = m.vertex.getParallelism();
                w.println(" {\"operator\": \"" + m.label + "\", \"max_parallelism\": " + m.maxPar + ", \"parallelism\": " + parallelism + ", \"subtasks\": [");
                for (int st = 0; st < parallelism; st++) {
                    KeyGroupRange r = KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex(m.maxPar, parallelism, st);
                    w.println("  {\"subtask\": " + st + ", \"key_group_start\": " + r.getStartKeyGroup() + ", \"key_group_end\": "
                            + r.getEndKeyGroup() + "}" + (st + 1 < parallelism ? "," : ""));
                }
                w.println(" ]}" + (i + 1 < measured.size() ? "," : ""));
            }
            w.println("]}");
        }
    }

    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Collections.reverseOrder()).forEach(x -> x.toFile().delete());
        }
    }
}
