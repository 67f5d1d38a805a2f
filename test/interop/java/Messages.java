import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.jms.BytesMessage;
import javax.jms.DeliveryMode;
import javax.jms.Destination;
import javax.jms.JMSException;
import javax.jms.MapMessage;
import javax.jms.Message;
import javax.jms.MessageEOFException;
import javax.jms.ObjectMessage;
import javax.jms.Session;
import javax.jms.StreamMessage;
import javax.jms.TextMessage;

import org.apache.activemq.command.ActiveMQDestination;
import org.apache.activemq.command.ActiveMQMessage;

/**
 * JSON <-> JMS messages. A typed value is {"type": T, "value": V} with T one of boolean, byte,
 * short, int, long, float, double, string, char, bytes (base64); long values past 2^53 travel as
 * strings, float/double NaN and infinities as "NaN", "Infinity", "-Infinity". A property given as a
 * bare JSON value is a string, a boolean, an int (integral and within int), a long or a double.
 */
final class Messages {
    private Messages() {}

    static Message build(Session session, Map<String, Object> spec, int index, Resolver resolver) throws JMSException {
        String type = Args.str(spec, "type", "text");
        Object body = spec.get("body");
        Message m;
        switch (type) {
            case "text":
                m = session.createTextMessage(body == null ? null : substitute(body.toString(), index));
                break;
            case "bytes": {
                BytesMessage b = session.createBytesMessage();
                if (body != null) b.writeBytes(Base64.getDecoder().decode(body.toString()));
                m = b;
                break;
            }
            case "map": {
                MapMessage mm = session.createMapMessage();
                if (body != null) {
                    for (Map.Entry<String, Object> e : Args.map(body, "map body").entrySet()) mm.setObject(e.getKey(), typedValue(e.getValue(), index));
                }
                m = mm;
                break;
            }
            case "stream": {
                StreamMessage sm = session.createStreamMessage();
                if (body != null) {
                    for (Object item : Args.list(body, "stream body")) sm.writeObject(typedValue(item, index));
                }
                m = sm;
                break;
            }
            case "object":
                m = session.createObjectMessage(body == null ? null : substitute(body.toString(), index));
                break;
            case "plain":
                m = session.createMessage();
                break;
            default:
                throw new IllegalArgumentException("unknown message type " + type + " (text|bytes|map|stream|object|plain)");
        }
        Object props = spec.get("properties");
        if (props != null) {
            for (Map.Entry<String, Object> e : Args.map(props, "properties").entrySet()) m.setObjectProperty(e.getKey(), typedValue(e.getValue(), index));
        }
        if (spec.get("correlationId") != null) m.setJMSCorrelationID(substitute(spec.get("correlationId").toString(), index));
        if (spec.get("jmsType") != null) m.setJMSType(spec.get("jmsType").toString());
        if (spec.get("replyTo") != null) m.setJMSReplyTo(resolver.destination(session, spec.get("replyTo").toString()));
        if (spec.get("groupId") != null) m.setStringProperty("JMSXGroupID", substitute(spec.get("groupId").toString(), index));
        if (spec.get("groupSeq") != null) m.setIntProperty("JMSXGroupSeq", Args.num(spec.get("groupSeq"), "groupSeq").intValueExact());
        return m;
    }

    /** Resolves "queue://x", "temp-queue://<id>", ... (the shell's temp destinations by id). */
    interface Resolver {
        Destination destination(Session session, String spec) throws JMSException;
    }

    static String substitute(String s, int index) {
        return index < 0 ? s : s.replace("{i}", Integer.toString(index));
    }

    static Object typedValue(Object v, int index) {
        if (v == null) return null;
        if (v instanceof String) return substitute((String) v, index);
        if (v instanceof Boolean) return v;
        if (v instanceof BigDecimal) {
            BigDecimal d = (BigDecimal) v;
            if (d.scale() <= 0 || d.stripTrailingZeros().scale() <= 0) {
                try {
                    long l = d.longValueExact();
                    return l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE ? (Object) (int) l : (Object) l;
                } catch (ArithmeticException e) {
                    return d.doubleValue();
                }
            }
            return d.doubleValue();
        }
        Map<String, Object> t = Args.map(v, "typed value");
        String type = Args.str(t, "type", null);
        Object value = t.get("value");
        if (type == null) throw new IllegalArgumentException("typed value without a type: " + Json.write(v));
        if (value == null) return null;
        switch (type) {
            case "boolean": return value instanceof Boolean ? value : Boolean.valueOf(value.toString());
            case "byte": return decimal(value).byteValueExact();
            case "short": return decimal(value).shortValueExact();
            case "int": return decimal(value).intValueExact();
            case "long": return decimal(value).longValueExact();
            case "float": return value instanceof String ? Float.valueOf((String) value) : decimal(value).floatValue();
            case "double": return value instanceof String ? Double.valueOf((String) value) : decimal(value).doubleValue();
            case "string": return substitute(value.toString(), index);
            case "char": {
                String s = value.toString();
                if (s.length() != 1) throw new IllegalArgumentException("a char value is a one-character string: " + s);
                return s.charAt(0);
            }
            case "bytes": return Base64.getDecoder().decode(value.toString());
            default: throw new IllegalArgumentException("unknown value type " + type);
        }
    }

    private static BigDecimal decimal(Object v) {
        return v instanceof BigDecimal ? (BigDecimal) v : new BigDecimal(v.toString());
    }

    /** {"type": "int", "value": 5}, for properties, map entries and stream items. */
    static Map<String, Object> typed(Object v) {
        Map<String, Object> t = new LinkedHashMap<>();
        if (v == null) {
            t.put("type", "null");
            t.put("value", null);
            return t;
        }
        String type;
        Object value = v;
        if (v instanceof Boolean) type = "boolean";
        else if (v instanceof Byte) type = "byte";
        else if (v instanceof Short) type = "short";
        else if (v instanceof Integer) type = "int";
        else if (v instanceof Long) type = "long";
        else if (v instanceof Float) {
            type = "float";
            float f = (Float) v;
            value = Float.isNaN(f) || Float.isInfinite(f) ? Float.toString(f) : new Json.RawNumber(Float.toString(f));
        } else if (v instanceof Double) type = "double";
        else if (v instanceof String) type = "string";
        else if (v instanceof Character) type = "char";
        else if (v instanceof byte[]) type = "bytes";
        else if (v instanceof Map) {
            type = "map";
            Map<String, Object> inner = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) inner.put(String.valueOf(e.getKey()), typed(e.getValue()));
            value = inner;
        } else if (v instanceof List) {
            type = "list";
            List<Object> inner = new ArrayList<>();
            for (Object o : (List<?>) v) inner.add(typed(o));
            value = inner;
        } else {
            type = v.getClass().getName();
            value = v.toString();
        }
        t.put("type", type);
        t.put("value", value);
        return t;
    }

    static String name(Destination d) {
        if (d == null) return null;
        if (d instanceof ActiveMQDestination) return ((ActiveMQDestination) d).getQualifiedName();
        return d.toString();
    }

    /** Everything a test may assert on; reads the body (a received message's body is read-only). */
    static Map<String, Object> render(Message m) throws JMSException {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", m.getJMSMessageID());
        if (m instanceof TextMessage) {
            r.put("type", "text");
            r.put("body", ((TextMessage) m).getText());
        } else if (m instanceof BytesMessage) {
            BytesMessage b = (BytesMessage) m;
            b.reset();
            byte[] bytes = new byte[(int) b.getBodyLength()];
            b.readBytes(bytes);
            b.reset();
            r.put("type", "bytes");
            r.put("body", bytes);
        } else if (m instanceof MapMessage) {
            MapMessage mm = (MapMessage) m;
            Map<String, Object> body = new LinkedHashMap<>();
            for (Enumeration<?> e = mm.getMapNames(); e.hasMoreElements();) {
                String n = (String) e.nextElement();
                body.put(n, typed(mm.getObject(n)));
            }
            r.put("type", "map");
            r.put("body", body);
        } else if (m instanceof StreamMessage) {
            StreamMessage sm = (StreamMessage) m;
            sm.reset();
            List<Object> items = new ArrayList<>();
            try {
                for (;;) items.add(typed(sm.readObject()));
            } catch (MessageEOFException end) {
                // the end of the stream
            }
            sm.reset();
            r.put("type", "stream");
            r.put("body", items);
        } else if (m instanceof ObjectMessage) {
            r.put("type", "object");
            try {
                Serializable o = ((ObjectMessage) m).getObject();
                r.put("body", o == null ? null : serialize(o));
                r.put("objectClass", o == null ? null : o.getClass().getName());
                r.put("object", o == null ? null : o.toString());
            } catch (JMSException e) {
                r.put("body", null);
                r.put("objectError", e.toString());
            }
        } else {
            r.put("type", "plain");
            r.put("body", null);
        }
        Map<String, Object> props = new LinkedHashMap<>();
        for (Enumeration<?> e = m.getPropertyNames(); e.hasMoreElements();) {
            String n = (String) e.nextElement();
            props.put(n, typed(m.getObjectProperty(n)));
        }
        r.put("properties", props);
        r.put("destination", name(m.getJMSDestination()));
        r.put("replyTo", name(m.getJMSReplyTo()));
        r.put("correlationId", m.getJMSCorrelationID());
        r.put("jmsType", m.getJMSType());
        r.put("priority", m.getJMSPriority());
        r.put("expiration", m.getJMSExpiration());
        r.put("timestamp", m.getJMSTimestamp());
        r.put("deliveryMode", m.getJMSDeliveryMode() == DeliveryMode.PERSISTENT ? "persistent" : "non_persistent");
        r.put("redelivered", m.getJMSRedelivered());
        r.put("deliveryCount", m.getObjectProperty("JMSXDeliveryCount"));
        r.put("groupId", m.getStringProperty("JMSXGroupID"));
        r.put("groupSeq", m.getObjectProperty("JMSXGroupSeq"));
        if (m instanceof ActiveMQMessage) {
            ActiveMQMessage a = (ActiveMQMessage) m;
            r.put("redeliveryCounter", a.getRedeliveryCounter());
            r.put("compressed", a.isCompressed());
            r.put("originalDestination", name(a.getOriginalDestination()));
            r.put("producerId", a.getProducerId() == null ? null : a.getProducerId().toString());
        }
        return r;
    }

    private static byte[] serialize(Serializable o) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(o);
            }
            return bytes.toByteArray();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
