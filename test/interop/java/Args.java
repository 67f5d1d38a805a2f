import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/** Typed access to a command's JSON arguments; a wrong or missing one is an IllegalArgumentException. */
final class Args {
    private Args() {}

    static String str(Map<String, Object> a, String key, String fallback) {
        Object v = a.get(key);
        return v == null ? fallback : v.toString();
    }

    static String need(Map<String, Object> a, String key) {
        Object v = a.get(key);
        if (v == null) throw new IllegalArgumentException("missing argument '" + key + "'");
        return v.toString();
    }

    static boolean bool(Map<String, Object> a, String key, boolean fallback) {
        Object v = a.get(key);
        if (v == null) return fallback;
        if (v instanceof Boolean) return (Boolean) v;
        throw new IllegalArgumentException("argument '" + key + "' must be true or false");
    }

    static BigDecimal num(Object v, String what) {
        if (v instanceof BigDecimal) return (BigDecimal) v;
        if (v instanceof String) return new BigDecimal((String) v);
        throw new IllegalArgumentException(what + " must be a number");
    }

    static long lng(Map<String, Object> a, String key, long fallback) {
        Object v = a.get(key);
        return v == null ? fallback : num(v, key).longValue();
    }

    static int integer(Map<String, Object> a, String key, int fallback) {
        Object v = a.get(key);
        return v == null ? fallback : num(v, key).intValueExact();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object v, String what) {
        if (v instanceof Map) return (Map<String, Object>) v;
        throw new IllegalArgumentException(what + " must be a JSON object");
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object v, String what) {
        if (v instanceof List) return (List<Object>) v;
        throw new IllegalArgumentException(what + " must be a JSON array");
    }
}
