import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.Destination;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.QueueBrowser;
import javax.jms.Session;
import javax.jms.TemporaryQueue;
import javax.jms.TemporaryTopic;
import javax.jms.Topic;
import javax.jms.XAConnection;
import javax.jms.XASession;
import javax.transaction.xa.XAException;

import org.apache.activemq.ActiveMQConnection;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQConnectionMetaData;
import org.apache.activemq.ActiveMQMessageProducer;
import org.apache.activemq.ActiveMQSession;
import org.apache.activemq.ActiveMQXAConnectionFactory;
import org.apache.activemq.AsyncCallback;
import org.apache.activemq.command.ActiveMQDestination;
import org.apache.activemq.transport.TransportListener;

/**
 * A long-lived JVM holding real ActiveMQ JMS objects, driven by one JSON command per stdin line
 * and answering one JSON line per command on stdout: {"ok":true,...} or {"ok":false,"error":...}.
 * Objects are named by the test ("id"); a failed command leaves the shell running. Anything else
 * the JVM prints (client logging) goes to stderr: stdout carries replies only.
 * test/helpers/jms-shell.ts documents the commands.
 */
public final class JmsShell implements Messages.Resolver {
    private static final String DEFAULT_CONNECTION = "default";
    /** Received messages kept for `acknowledge {message}`; older ones are forgotten. */
    private static final int REMEMBERED_MESSAGES = 10_000;
    /** Above this many, `send` answers with the count and the last id only. */
    private static final int MAX_IDS_IN_REPLY = 1_000;

    private final Map<String, Connection> connections = new HashMap<>();
    private final Map<String, Session> sessions = new HashMap<>();
    private final Map<String, MessageProducer> producers = new HashMap<>();
    private final Map<String, MessageConsumer> consumers = new HashMap<>();
    private final Map<String, Destination> temps = new HashMap<>();
    private final Map<String, Message> lastReceived = new ConcurrentHashMap<>();
    private final Map<String, ConcurrentLinkedQueue<Map<String, Object>>> inboxes = new ConcurrentHashMap<>();
    private final Map<String, Message> remembered = Collections.synchronizedMap(new LinkedHashMap<String, Message>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Message> eldest) {
            return size() > REMEMBERED_MESSAGES;
        }
    });
    private final ConcurrentLinkedQueue<Map<String, Object>> events = new ConcurrentLinkedQueue<>();
    private final Xa xa = new Xa();

    public static void main(String[] argv) throws Exception {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        JmsShell shell = new JmsShell();
        Map<String, Object> ready = new LinkedHashMap<>();
        ready.put("ok", true);
        ready.put("ready", true);
        ready.put("pid", ProcessHandle.current().pid());
        ready.put("java", System.getProperty("java.version"));
        ready.put("activemq", ActiveMQConnectionMetaData.PROVIDER_VERSION);
        ready.put("jvmUptimeMs", ManagementFactory.getRuntimeMXBean().getUptime());
        out.println(Json.write(ready));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null;) {
            if (line.isBlank()) continue;
            Map<String, Object> reply;
            boolean exit = false;
            try {
                Map<String, Object> command = Args.map(Json.parse(line), "a command");
                exit = "exit".equals(command.get("cmd"));
                reply = shell.run(command);
            } catch (Throwable t) {
                reply = failure(t);
            }
            out.println(Json.write(reply));
            if (exit) break;
        }
        shell.closeAll();
        out.flush();
        System.exit(0);
    }

    static Map<String, Object> failure(Throwable t) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ok", false);
        r.put("error", describe(t));
        List<String> causes = new ArrayList<>();
        for (Throwable c = t.getCause(); c != null && causes.size() < 5; c = c.getCause()) causes.add(describe(c));
        if (!causes.isEmpty()) r.put("causes", causes);
        if (t instanceof XAException) r.put("xaErrorCode", ((XAException) t).errorCode);
        return r;
    }

    static String describe(Throwable t) {
        String text = t.getClass().getName() + ": " + t.getMessage();
        if (t instanceof XAException) text += " (errorCode " + ((XAException) t).errorCode + ")";
        return text;
    }

    private Map<String, Object> run(Map<String, Object> a) throws Exception {
        String cmd = Args.need(a, "cmd");
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ok", true);
        switch (cmd) {
            case "connect": connect(a, r); break;
            case "start": connection(a).start(); break;
            case "stop": connection(a).stop(); break;
            case "info": info(a, r); break;
            case "closeConnection": {
                String id = Args.str(a, "connection", DEFAULT_CONNECTION);
                connection(a).close();
                connections.remove(id);
                break;
            }
            case "session": session(a, r); break;
            case "xaSession": {
                String id = Args.need(a, "id");
                Connection c = connection(a);
                if (!(c instanceof XAConnection)) throw new IllegalArgumentException("connection is not an XA connection (connect with xa: true)");
                XASession s = ((XAConnection) c).createXASession();
                sessions.put(id, s);
                xa.register(id, s.getXAResource());
                break;
            }
            case "commit": session(a).commit(); break;
            case "rollback": session(a).rollback(); break;
            case "recover": session(a).recover(); break;
            case "closeSession": session(a).close(); sessions.remove(Args.need(a, "session")); break;
            case "producer": producer(a); break;
            case "closeProducer": producer(a, "producer").close(); producers.remove(Args.need(a, "producer")); break;
            case "send": send(a, r); break;
            case "consumer": consumer(a); break;
            case "receive": receive(a, r); break;
            case "acknowledge": acknowledge(a); break;
            case "closeConsumer": {
                String id = Args.need(a, "consumer");
                consumer(a, "consumer").close();
                consumers.remove(id);
                break;
            }
            case "unsubscribe": session(a).unsubscribe(Args.need(a, "name")); break;
            case "listener": listener(a); break;
            case "drain": drain(a, r); break;
            case "browse": browse(a, r); break;
            case "tempQueue":
            case "tempTopic": {
                String id = Args.need(a, "id");
                Destination d = cmd.equals("tempQueue") ? session(a).createTemporaryQueue() : session(a).createTemporaryTopic();
                temps.put(id, d);
                r.put("name", Messages.name(d));
                break;
            }
            case "deleteTemp": {
                String id = Args.need(a, "id");
                Destination d = temps.get(id);
                if (d == null) throw new IllegalArgumentException("no temp destination " + id);
                if (d instanceof TemporaryQueue) ((TemporaryQueue) d).delete();
                else ((TemporaryTopic) d).delete();
                temps.remove(id);
                break;
            }
            case "xa": xa.run(a, r); break;
            case "events": {
                List<Map<String, Object>> list = new ArrayList<>();
                for (Map<String, Object> e; (e = events.poll()) != null;) list.add(e);
                r.put("events", list);
                break;
            }
            case "sleep": Thread.sleep(Args.lng(a, "ms", 0)); break;
            case "exit": closeAll(); break;
            default: throw new IllegalArgumentException("unknown command " + cmd);
        }
        return r;
    }

    // --- connections ---

    private void connect(Map<String, Object> a, Map<String, Object> r) throws JMSException {
        String id = Args.str(a, "id", DEFAULT_CONNECTION);
        if (connections.containsKey(id)) throw new IllegalArgumentException("connection " + id + " exists");
        String url = Args.need(a, "url");
        boolean isXa = Args.bool(a, "xa", false);
        ActiveMQConnectionFactory f = isXa ? new ActiveMQXAConnectionFactory(url) : new ActiveMQConnectionFactory(url);
        Object options = a.get("options");
        if (options != null) configure(f, Args.map(options, "options"));
        if (a.get("clientId") != null) f.setClientID(a.get("clientId").toString());
        String user = Args.str(a, "user", null);
        String password = Args.str(a, "password", null);
        Connection c;
        if (isXa) c = user != null ? ((ActiveMQXAConnectionFactory) f).createXAConnection(user, password) : ((ActiveMQXAConnectionFactory) f).createXAConnection();
        else c = user != null ? f.createConnection(user, password) : f.createConnection();
        c.setExceptionListener(e -> event(id, "exception", describe(e)));
        if (c instanceof ActiveMQConnection) {
            ((ActiveMQConnection) c).addTransportListener(new TransportListener() {
                @Override
                public void onCommand(Object command) {}

                @Override
                public void onException(java.io.IOException error) {
                    event(id, "transportException", describe(error));
                }

                @Override
                public void transportInterupted() { // sic: TransportListener's spelling
                    event(id, "transportInterrupted", null);
                }

                @Override
                public void transportResumed() {
                    event(id, "transportResumed", null);
                }
            });
        }
        connections.put(id, c);
        if (Args.bool(a, "start", false)) c.start();
        r.put("connection", id);
    }

    /** Short names for the RedeliveryPolicy fields; everything else is a factory property (or prefetchPolicy.x, redeliveryPolicy.x). */
    private static final String[] REDELIVERY_SHORT_NAMES = {
        "maximumRedeliveries", "initialRedeliveryDelay", "redeliveryDelay", "useExponentialBackOff", "backOffMultiplier", "maximumRedeliveryDelay",
    };

    private static void configure(ActiveMQConnectionFactory f, Map<String, Object> options) {
        Map<String, Object> props = new HashMap<>();
        for (Map.Entry<String, Object> e : options.entrySet()) {
            String key = e.getKey();
            for (String shortName : REDELIVERY_SHORT_NAMES) if (shortName.equals(key)) key = "redeliveryPolicy." + key;
            Object v = e.getValue();
            props.put(key, v instanceof java.math.BigDecimal ? ((java.math.BigDecimal) v).toPlainString() : String.valueOf(v));
        }
        f.buildFromMap(props);
        // buildFromMap removes what it could set: the rest are misspellings.
        if (!props.isEmpty()) throw new IllegalArgumentException("unknown connection factory options: " + props.keySet());
    }

    private void event(String connection, String kind, String error) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("connection", connection);
        e.put("event", kind);
        if (error != null) e.put("error", error);
        e.put("at", System.currentTimeMillis());
        events.add(e);
    }

    private void info(Map<String, Object> a, Map<String, Object> r) throws JMSException {
        Connection c = connection(a);
        r.put("clientId", c.getClientID());
        if (c instanceof ActiveMQConnection) {
            ActiveMQConnection ac = (ActiveMQConnection) c;
            r.put("brokerName", ac.getBrokerName());
            r.put("protocolVersion", ac.getProtocolVersion());
            r.put("started", ac.isStarted());
            r.put("closed", ac.isClosed());
            r.put("transportFailed", ac.isTransportFailed());
            r.put("connectionId", ac.getConnectionInfo().getConnectionId().toString());
        }
    }

    private Connection connection(Map<String, Object> a) {
        String id = Args.str(a, "connection", DEFAULT_CONNECTION);
        Connection c = connections.get(id);
        if (c == null) throw new IllegalArgumentException("no connection " + id);
        return c;
    }

    /** Closes every connection cleanly (the broker sees RemoveInfo and ShutdownInfo) before the JVM exits. */
    private void closeAll() {
        for (Connection c : connections.values()) {
            try {
                c.close();
            } catch (Exception e) {
                // exiting anyway
            }
        }
        connections.clear();
    }

    // --- sessions, producers, consumers ---

    private void session(Map<String, Object> a, Map<String, Object> r) throws JMSException {
        String id = Args.need(a, "id");
        boolean transacted = Args.bool(a, "transacted", false);
        int mode;
        String ackMode = Args.str(a, "ackMode", "auto");
        switch (ackMode) {
            case "auto": mode = Session.AUTO_ACKNOWLEDGE; break;
            case "client": mode = Session.CLIENT_ACKNOWLEDGE; break;
            case "dups_ok": mode = Session.DUPS_OK_ACKNOWLEDGE; break;
            case "individual": mode = ActiveMQSession.INDIVIDUAL_ACKNOWLEDGE; break;
            default: throw new IllegalArgumentException("unknown ackMode " + ackMode + " (auto|client|dups_ok|individual)");
        }
        sessions.put(id, connection(a).createSession(transacted, transacted ? Session.SESSION_TRANSACTED : mode));
        r.put("session", id);
    }

    private Session session(Map<String, Object> a) {
        String id = Args.need(a, "session");
        Session s = sessions.get(id);
        if (s == null) throw new IllegalArgumentException("no session " + id);
        return s;
    }

    @Override
    public Destination destination(Session session, String spec) throws JMSException {
        for (String prefix : new String[] {"temp-queue://", "temp-topic://"}) {
            if (spec.startsWith(prefix)) {
                Destination known = temps.get(spec.substring(prefix.length()));
                if (known != null) return known;
            }
        }
        if (!spec.contains("://")) throw new IllegalArgumentException("destination needs a prefix (queue://, topic://, temp-queue://, temp-topic://): " + spec);
        // Parses the prefix; the name keeps its ?options (consumer.prefetchSize=0, ...) as ActiveMQ reads them.
        return ActiveMQDestination.createDestination(spec, ActiveMQDestination.QUEUE_TYPE);
    }

    private static int deliveryMode(Object v) {
        if (v == null) return -1;
        String s = v.toString();
        if (s.equals("persistent") || s.equals("2") || s.equals("true")) return DeliveryMode.PERSISTENT;
        if (s.equals("non_persistent") || s.equals("non-persistent") || s.equals("1") || s.equals("false")) return DeliveryMode.NON_PERSISTENT;
        throw new IllegalArgumentException("deliveryMode is persistent or non_persistent: " + s);
    }

    private void producer(Map<String, Object> a) throws JMSException {
        String id = Args.need(a, "id");
        Session s = session(a);
        String dest = Args.str(a, "dest", null);
        MessageProducer p = s.createProducer(dest == null ? null : destination(s, dest));
        int mode = deliveryMode(a.get("deliveryMode"));
        if (mode != -1) p.setDeliveryMode(mode);
        if (a.get("priority") != null) p.setPriority(Args.integer(a, "priority", 4));
        if (a.get("ttl") != null) p.setTimeToLive(Args.lng(a, "ttl", 0));
        if (a.get("disableMessageID") != null) p.setDisableMessageID(Args.bool(a, "disableMessageID", false));
        if (a.get("disableMessageTimestamp") != null) p.setDisableMessageTimestamp(Args.bool(a, "disableMessageTimestamp", false));
        producers.put(id, p);
        sessionOf.put(p, s);
    }

    private final Map<Object, Session> sessionOf = new HashMap<>();

    private MessageProducer producer(Map<String, Object> a, String key) {
        String id = Args.need(a, key);
        MessageProducer p = producers.get(id);
        if (p == null) throw new IllegalArgumentException("no producer " + id);
        return p;
    }

    private void send(Map<String, Object> a, Map<String, Object> r) throws JMSException {
        MessageProducer p = producer(a, "producer");
        Session s = sessionOf.get(p);
        Map<String, Object> spec = a.get("message") == null ? new HashMap<>() : Args.map(a.get("message"), "message");
        int count = Args.integer(a, "count", 1);
        String destSpec = Args.str(a, "dest", null);
        Destination dest = destSpec == null ? null : destination(s, destSpec);
        boolean callback = Args.bool(a, "callback", false);
        int mode = spec.get("persistent") == null ? p.getDeliveryMode() : (Args.bool(spec, "persistent", true) ? DeliveryMode.PERSISTENT : DeliveryMode.NON_PERSISTENT);
        int priority = Args.integer(spec, "priority", p.getPriority());
        long ttl = Args.lng(spec, "ttl", p.getTimeToLive());
        List<String> ids = new ArrayList<>();
        String last = null;
        for (int i = 0; i < count; i++) {
            Message m = Messages.build(s, spec, count > 1 ? i : -1, this);
            if (callback) {
                ActiveMQMessageProducer ap = (ActiveMQMessageProducer) p;
                AsyncCallback cb = sendCallback(m);
                if (dest == null) ap.send(m, mode, priority, ttl, cb);
                else ap.send(dest, m, mode, priority, ttl, cb);
            } else if (dest == null) {
                p.send(m, mode, priority, ttl);
            } else {
                p.send(dest, m, mode, priority, ttl);
            }
            last = m.getJMSMessageID();
            if (count <= MAX_IDS_IN_REPLY) ids.add(last);
        }
        if (count <= MAX_IDS_IN_REPLY) r.put("ids", ids);
        r.put("count", count);
        r.put("lastId", last);
    }

    private AsyncCallback sendCallback(Message m) {
        return new AsyncCallback() {
            @Override
            public void onSuccess() {
                sendEvent(m, "sendSuccess", null);
            }

            @Override
            public void onException(JMSException e) {
                sendEvent(m, "sendFailure", describe(e));
            }
        };
    }

    private void sendEvent(Message m, String kind, String error) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("event", kind);
        try {
            e.put("id", m.getJMSMessageID());
        } catch (JMSException ignored) {
            e.put("id", null);
        }
        if (error != null) e.put("error", error);
        e.put("at", System.currentTimeMillis());
        events.add(e);
    }

    private void consumer(Map<String, Object> a) throws JMSException {
        String id = Args.need(a, "id");
        if (consumers.containsKey(id)) throw new IllegalArgumentException("consumer " + id + " exists");
        Session s = session(a);
        Destination d = destination(s, Args.need(a, "dest"));
        String selector = Args.str(a, "selector", null);
        boolean noLocal = Args.bool(a, "noLocal", false);
        String durable = Args.str(a, "durable", null);
        MessageConsumer c;
        if (durable != null) {
            if (!(d instanceof Topic)) throw new IllegalArgumentException("a durable subscription needs a topic");
            c = s.createDurableSubscriber((Topic) d, durable, selector, noLocal);
        } else {
            c = s.createConsumer(d, selector, noLocal);
        }
        consumers.put(id, c);
    }

    private MessageConsumer consumer(Map<String, Object> a, String key) {
        String id = Args.need(a, key);
        MessageConsumer c = consumers.get(id);
        if (c == null) throw new IllegalArgumentException("no consumer " + id);
        return c;
    }

    private void receive(Map<String, Object> a, Map<String, Object> r) throws JMSException {
        String id = Args.need(a, "consumer");
        MessageConsumer c = consumer(a, "consumer");
        long timeout = Args.lng(a, "timeout", 1000);
        int count = Args.integer(a, "count", 1);
        boolean ack = Args.bool(a, "ack", false);
        boolean quiet = Args.bool(a, "quiet", false);
        long deadline = System.currentTimeMillis() + timeout;
        List<Object> got = new ArrayList<>();
        int received = 0;
        String lastId = null;
        while (received < count) {
            long left = deadline - System.currentTimeMillis();
            Message m = timeout < 0 ? c.receive() : left <= 0 ? c.receiveNoWait() : c.receive(left);
            if (m == null) break;
            received++;
            lastId = m.getJMSMessageID();
            lastReceived.put(id, m);
            if (lastId != null) remembered.put(lastId, m);
            if (!quiet) got.add(Messages.render(m));
            if (ack) m.acknowledge();
        }
        r.put("count", received);
        r.put("lastId", lastId);
        if (!quiet) r.put("messages", got);
    }

    private void acknowledge(Map<String, Object> a) throws JMSException {
        String messageId = Args.str(a, "message", null);
        Message m;
        if (messageId != null) {
            m = remembered.get(messageId);
            if (m == null) throw new IllegalArgumentException("no received message " + messageId);
        } else {
            String consumer = Args.need(a, "consumer");
            m = lastReceived.get(consumer);
            if (m == null) throw new IllegalArgumentException("consumer " + consumer + " has received nothing");
        }
        m.acknowledge();
    }

    private void listener(Map<String, Object> a) throws JMSException {
        String id = Args.need(a, "consumer");
        MessageConsumer c = consumer(a, "consumer");
        boolean ack = Args.bool(a, "ack", false);
        long delayMs = Args.lng(a, "delayMs", 0);
        ConcurrentLinkedQueue<Map<String, Object>> inbox = inboxes.computeIfAbsent(id, k -> new ConcurrentLinkedQueue<>());
        c.setMessageListener(m -> {
            try {
                String mid = m.getJMSMessageID();
                lastReceived.put(id, m);
                if (mid != null) remembered.put(mid, m);
                inbox.add(Messages.render(m));
                if (delayMs > 0) Thread.sleep(delayMs);
                if (ack) m.acknowledge();
            } catch (Exception e) {
                Map<String, Object> ev = new LinkedHashMap<>();
                ev.put("event", "listenerError");
                ev.put("consumer", id);
                ev.put("error", describe(e));
                events.add(ev);
            }
        });
    }

    private void drain(Map<String, Object> a, Map<String, Object> r) throws InterruptedException {
        String id = Args.need(a, "consumer");
        consumer(a, "consumer");
        int min = Args.integer(a, "min", 0);
        long deadline = System.currentTimeMillis() + Args.lng(a, "timeout", 0);
        ConcurrentLinkedQueue<Map<String, Object>> inbox = inboxes.computeIfAbsent(id, k -> new ConcurrentLinkedQueue<>());
        while (inbox.size() < min && System.currentTimeMillis() < deadline) Thread.sleep(5);
        List<Object> got = new ArrayList<>();
        for (Map<String, Object> m; (m = inbox.poll()) != null;) got.add(m);
        r.put("messages", got);
    }

    private void browse(Map<String, Object> a, Map<String, Object> r) throws JMSException {
        Session s = session(a);
        Destination d = destination(s, Args.need(a, "dest"));
        if (!(d instanceof javax.jms.Queue)) throw new IllegalArgumentException("only a queue can be browsed");
        QueueBrowser b = s.createBrowser((javax.jms.Queue) d, Args.str(a, "selector", null));
        List<Object> got = new ArrayList<>();
        try {
            for (java.util.Enumeration<?> e = b.getEnumeration(); e.hasMoreElements();) got.add(Messages.render((Message) e.nextElement()));
        } finally {
            b.close();
        }
        r.put("messages", got);
    }
}
