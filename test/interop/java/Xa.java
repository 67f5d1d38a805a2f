import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * The `xa` command: one XAResource operation on an XA session's resource, with a Xid built from
 * {"formatId": n, "gtrid": hex, "bqual": hex}.
 */
final class Xa {
    private final Map<String, XAResource> resources = new HashMap<>();

    void register(String session, XAResource resource) {
        resources.put(session, resource);
    }

    static final class ShellXid implements Xid {
        private final int formatId;
        private final byte[] gtrid;
        private final byte[] bqual;

        ShellXid(int formatId, byte[] gtrid, byte[] bqual) {
            this.formatId = formatId;
            this.gtrid = gtrid;
            this.bqual = bqual;
        }

        @Override
        public int getFormatId() {
            return formatId;
        }

        @Override
        public byte[] getGlobalTransactionId() {
            return gtrid;
        }

        @Override
        public byte[] getBranchQualifier() {
            return bqual;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Xid)) return false;
            Xid x = (Xid) o;
            return x.getFormatId() == formatId && Arrays.equals(x.getGlobalTransactionId(), gtrid) && Arrays.equals(x.getBranchQualifier(), bqual);
        }

        @Override
        public int hashCode() {
            return formatId ^ Arrays.hashCode(gtrid) ^ Arrays.hashCode(bqual);
        }
    }

    private static final Map<String, Integer> FLAGS = new HashMap<>();

    static {
        FLAGS.put("TMNOFLAGS", XAResource.TMNOFLAGS);
        FLAGS.put("TMJOIN", XAResource.TMJOIN);
        FLAGS.put("TMRESUME", XAResource.TMRESUME);
        FLAGS.put("TMSUCCESS", XAResource.TMSUCCESS);
        FLAGS.put("TMFAIL", XAResource.TMFAIL);
        FLAGS.put("TMSUSPEND", XAResource.TMSUSPEND);
        FLAGS.put("TMSTARTRSCAN", XAResource.TMSTARTRSCAN);
        FLAGS.put("TMENDRSCAN", XAResource.TMENDRSCAN);
        FLAGS.put("TMONEPHASE", XAResource.TMONEPHASE);
    }

    private static int flags(Map<String, Object> a, int fallback) {
        String f = Args.str(a, "flags", null);
        if (f == null) return fallback;
        int v = 0;
        for (String part : f.split("\\|")) {
            Integer bit = FLAGS.get(part.trim());
            if (bit == null) throw new IllegalArgumentException("unknown XA flag " + part + " (" + FLAGS.keySet() + ")");
            v |= bit;
        }
        return v;
    }

    private static Xid xid(Map<String, Object> a) {
        Map<String, Object> x = Args.map(a.get("xid"), "xid");
        HexFormat hex = HexFormat.of();
        return new ShellXid(Args.integer(x, "formatId", 0), hex.parseHex(Args.need(x, "gtrid")), hex.parseHex(Args.str(x, "bqual", "")));
    }

    static Map<String, Object> render(Xid x) {
        HexFormat hex = HexFormat.of();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("formatId", x.getFormatId());
        r.put("gtrid", hex.formatHex(x.getGlobalTransactionId()));
        r.put("bqual", hex.formatHex(x.getBranchQualifier()));
        return r;
    }

    void run(Map<String, Object> a, Map<String, Object> r) throws Exception {
        String session = Args.need(a, "session");
        XAResource res = resources.get(session);
        if (res == null) throw new IllegalArgumentException("no XA session " + session);
        String op = Args.need(a, "op");
        switch (op) {
            case "start": res.start(xid(a), flags(a, XAResource.TMNOFLAGS)); break;
            case "end": res.end(xid(a), flags(a, XAResource.TMSUCCESS)); break;
            case "prepare": r.put("vote", res.prepare(xid(a)) == XAResource.XA_RDONLY ? "XA_RDONLY" : "XA_OK"); break;
            case "commit": res.commit(xid(a), Args.bool(a, "onePhase", false)); break;
            case "rollback": res.rollback(xid(a)); break;
            case "forget": res.forget(xid(a)); break;
            case "recover": {
                List<Object> xids = new ArrayList<>();
                Xid[] found = res.recover(flags(a, XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN));
                if (found != null) for (Xid x : found) xids.add(render(x));
                r.put("xids", xids);
                break;
            }
            case "setTimeout": r.put("set", res.setTransactionTimeout(Args.integer(a, "seconds", 0))); break;
            case "getTimeout": r.put("seconds", res.getTransactionTimeout()); break;
            default: throw new IllegalArgumentException("unknown xa op " + op + " (start|end|prepare|commit|rollback|forget|recover|setTimeout|getTimeout)");
        }
    }
}
