package oracle;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.data.binary.BinaryRowData;
import org.apache.flink.table.data.writer.BinaryRowWriter;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;

/**
 * Flink SQL job shapes on the oracle's phased source (operator=sql_dedup | sql_join).
 *
 * <p>sql_dedup: {@code ROW_NUMBER() OVER (PARTITION BY k ORDER BY proctime [DESC]) = 1} (keep first / keep last
 * row, {@code sql_keep} = first | last): Flink's ProcTimeDeduplicateKeepFirstRowFunction /
 * ProcTimeDeduplicateKeepLastRowFunction, state "deduplicate-state".
 *
 * <p>sql_join: {@code SELECT * FROM L JOIN R ON L.k = R.k} (inner regular join): Flink's StreamingJoinOperator,
 * states "left-records" / "right-records" whose layout follows each side's unique key
 * ({@code sql_unique} = none | join_key | other; a unique key is declared as the primary key of an insert-only
 * changelog stream: join_key = (k), other = (k, ts)).
 *
 * <p>TTL: {@code ttl_ms} > 0 sets {@code table.exec.state.ttl}. SQL operators run in tasks of their own (after the
 * planner's hash exchange), so they see {@link OracleJob.Clock#global}: with {@code phase_clock} the source sets it
 * before each phase to the processing time of the phase's last record, and every record of a phase is processed at
 * that time (the trace's proc_ms column).
 */
public final class SqlJobs {
    private SqlJobs() {}

    static final String[] COLS = {"k", "ts", "payload"};

    /** The vertex-name markers of the SQL keyed operators: name fragment -> label in the tables. */
    static final String[][] MARKERS = {{"Deduplicate", "dedup"}, {"Join", "join"}};

    static void configure(StreamTableEnvironment tenv, OracleJob.Params p) {
        tenv.getConfig().set("table.exec.mini-batch.enabled", "false");
        long ttl = p.l("ttl_ms", 0);
        if (ttl > 0) {
            tenv.getConfig().set("table.exec.state.ttl", ttl + " ms");
        }
    }

    /** Builds the SQL job after {@code src} and returns the changelog stream of its result. */
    static DataStream<Row> build(
            StreamExecutionEnvironment env, DataStream<Tuple3<Long, Long, String>> src, OracleJob.Params p) {
        StreamTableEnvironment tenv = StreamTableEnvironment.create(env);
        configure(tenv, p);
        String op = p.s("operator", "");
        Table result;
        if (op.equals("sql_dedup")) {
            Table t = tenv.fromDataStream(
                    src,
                    Schema.newBuilder()
                            .column("f0", DataTypes.BIGINT())
                            .column("f1", DataTypes.BIGINT())
                            .column("f2", DataTypes.STRING())
                            .columnByExpression("pt", "PROCTIME()")
                            .build());
            tenv.createTemporaryView("T", t);
            String dir = p.s("sql_keep", "first").equals("last") ? "DESC" : "ASC";
            result = tenv.sqlQuery(
                    "SELECT f0, f1, f2 FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY f0 ORDER BY pt " + dir
                            + ") AS rn FROM T) WHERE rn = 1");
        } else if (op.equals("sql_join")) {
            DataStream<Tuple3<Long, Long, String>> l =
                    src.filter(new OracleJob.SideFilter('L')).name("LEFT").uid("left").setParallelism(1);
            DataStream<Tuple3<Long, Long, String>> r =
                    src.filter(new OracleJob.SideFilter('R')).name("RIGHT").uid("right").setParallelism(1);
            tenv.createTemporaryView("L", side(tenv, l, p.s("sql_unique", "none"), "l"));
            tenv.createTemporaryView("R", side(tenv, r, p.s("b_sql_unique", p.s("sql_unique", "none")), "r"));
            result = tenv.sqlQuery("SELECT * FROM L JOIN R ON L.lk = R.rk");
        } else {
            throw new IllegalArgumentException("operator " + op);
        }
        return tenv.toChangelogStream(result);
    }

    /** One join input: columns (<p>k, <p>ts, <p>payload), with the primary key that `unique` names. */
    static Table side(StreamTableEnvironment tenv, DataStream<Tuple3<Long, Long, String>> s, String unique, String px) {
        String k = px + "k", ts = px + "ts", pl = px + "payload";
        if (unique.equals("none")) {
            return tenv.fromDataStream(
                            s,
                            Schema.newBuilder()
                                    .column("f0", DataTypes.BIGINT())
                                    .column("f1", DataTypes.BIGINT())
                                    .column("f2", DataTypes.STRING())
                                    .build())
                    .as(k, ts, pl);
        }
        TypeInformation<Row> rt = Types.ROW_NAMED(new String[] {k, ts, pl}, Types.LONG, Types.LONG, Types.STRING);
        DataStream<Row> rows = s.map(new ToRow()).returns(rt).name("ROWS_" + px).setParallelism(1);
        Schema.Builder b = Schema.newBuilder()
                .column(k, DataTypes.BIGINT().notNull())
                .column(ts, DataTypes.BIGINT().notNull())
                .column(pl, DataTypes.STRING());
        if (unique.equals("join_key")) {
            b.primaryKey(k);
        } else if (unique.equals("other")) {
            b.primaryKey(k, ts);
        } else {
            throw new IllegalArgumentException("sql_unique " + unique);
        }
        return tenv.fromChangelogStream(rows, b.build(), ChangelogMode.insertOnly());
    }

    public static final class ToRow implements MapFunction<Tuple3<Long, Long, String>, Row> {
        @Override
        public Row map(Tuple3<Long, Long, String> r) {
            return Row.ofKind(RowKind.INSERT, r.f0, r.f1, r.f2);
        }
    }

    /** The key group of a SQL operator's key: a BinaryRowData of the one BIGINT column k. */
    static int keyGroup(long key, int maxPar) {
        BinaryRowData row = new BinaryRowData(1);
        BinaryRowWriter w = new BinaryRowWriter(row);
        w.writeLong(0, key);
        w.complete();
        return org.apache.flink.runtime.state.KeyGroupRangeAssignment.assignToKeyGroup(row, maxPar);
    }
}
