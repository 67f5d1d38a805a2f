import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny JSON reader and writer, so the shell needs nothing beyond the JMS client's jars.
 * Reading yields Map (LinkedHashMap, keys in order), List, String, BigDecimal (every number, so a
 * long survives exactly), Boolean or null. Writing takes those plus any Number, Character,
 * byte[] (as base64) and RawNumber (already formatted number text, e.g. Float.toString).
 */
final class Json {
    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /** Number text written as is (Float.toString keeps a float's shortest form: 1.1, not 1.100000023841858). */
    static final class RawNumber {
        final String text;

        RawNumber(String text) {
            this.text = text;
        }
    }

    static Object parse(String text) {
        Json p = new Json(text);
        p.skipSpace();
        Object v = p.value();
        p.skipSpace();
        if (p.pos != text.length()) throw p.error("trailing characters");
        return v;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("bad JSON at " + pos + ": " + what);
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) pos++;
    }

    private char peek() {
        if (pos >= text.length()) throw error("unexpected end");
        return text.charAt(pos);
    }

    private void expect(String word) {
        if (!text.startsWith(word, pos)) throw error("expected " + word);
        pos += word.length();
    }

    private Object value() {
        char c = peek();
        switch (c) {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return string();
            case 't':
                expect("true");
                return Boolean.TRUE;
            case 'f':
                expect("false");
                return Boolean.FALSE;
            case 'n':
                expect("null");
                return null;
            default:
                return number();
        }
    }

    private Map<String, Object> object() {
        Map<String, Object> m = new LinkedHashMap<>();
        pos++;
        skipSpace();
        if (peek() == '}') {
            pos++;
            return m;
        }
        for (;;) {
            skipSpace();
            if (peek() != '"') throw error("expected a key");
            String key = string();
            skipSpace();
            if (peek() != ':') throw error("expected :");
            pos++;
            skipSpace();
            m.put(key, value());
            skipSpace();
            char c = peek();
            pos++;
            if (c == '}') return m;
            if (c != ',') throw error("expected , or }");
        }
    }

    private List<Object> array() {
        List<Object> l = new ArrayList<>();
        pos++;
        skipSpace();
        if (peek() == ']') {
            pos++;
            return l;
        }
        for (;;) {
            skipSpace();
            l.add(value());
            skipSpace();
            char c = peek();
            pos++;
            if (c == ']') return l;
            if (c != ',') throw error("expected , or ]");
        }
    }

    private String string() {
        StringBuilder b = new StringBuilder();
        pos++;
        for (;;) {
            char c = peek();
            pos++;
            if (c == '"') return b.toString();
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = peek();
            pos++;
            switch (e) {
                case 'n': b.append('\n'); break;
                case 't': b.append('\t'); break;
                case 'r': b.append('\r'); break;
                case 'b': b.append('\b'); break;
                case 'f': b.append('\f'); break;
                case 'u':
                    if (pos + 4 > text.length()) throw error("short \\u escape");
                    b.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                    pos += 4;
                    break;
                default: b.append(e);
            }
        }
    }

    private BigDecimal number() {
        int start = pos;
        while (pos < text.length() && "+-0123456789.eE".indexOf(text.charAt(pos)) >= 0) pos++;
        if (start == pos) throw error("unexpected character " + text.charAt(pos));
        return new BigDecimal(text.substring(start, pos));
    }

    static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v);
        return b.toString();
    }

    private static final long MAX_SAFE_INTEGER = 9007199254740991L;

    static void write(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String || v instanceof Character) {
            quote(b, v.toString());
        } else if (v instanceof Boolean) {
            b.append(v.toString());
        } else if (v instanceof RawNumber) {
            b.append(((RawNumber) v).text);
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) quote(b, v.toString());
            else b.append(v.toString());
        } else if (v instanceof Long) {
            // JSON readers (JavaScript's) keep integers exactly only up to 2^53.
            long l = (Long) v;
            if (Math.abs(l) <= MAX_SAFE_INTEGER) b.append(l);
            else quote(b, Long.toString(l));
        } else if (v instanceof Number) {
            b.append(v.toString());
        } else if (v instanceof byte[]) {
            quote(b, java.util.Base64.getEncoder().encodeToString((byte[]) v));
        } else if (v instanceof Map) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (!first) b.append(',');
                first = false;
                quote(b, String.valueOf(e.getKey()));
                b.append(':');
                write(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof Iterable) {
            b.append('[');
            boolean first = true;
            for (Object o : (Iterable<?>) v) {
                if (!first) b.append(',');
                first = false;
                write(b, o);
            }
            b.append(']');
        } else {
            quote(b, v.toString());
        }
    }

    private static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    // Also escapes U+2028/2029 and lone surrogates stay as \\u escapes: one reply per line.
                    if (c < 0x20 || c == 0x2028 || c == 0x2029 || Character.isSurrogate(c)) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        b.append('"');
    }
}
