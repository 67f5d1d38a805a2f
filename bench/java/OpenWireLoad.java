import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import javax.jms.BytesMessage;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.Destination;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Session;
import javax.jms.TemporaryQueue;

import org.apache.activemq.ActiveMQConnectionFactory;

/**
 * OpenWire load generator for bench/scenario-openwire.ts, on ActiveMQ's own JMS client: one JVM
 * per run, one connection per producer and per consumer (each has its own transport thread).
 *
 *   java -cp CLASSES:JARS OpenWireLoad URL SCENARIO MESSAGES WARMUP WARMUP_SECONDS MAX_SECONDS SIZE PRODUCERS CONSUMERS
 *
 * Scenarios:
 *   queue            non-persistent queue (the client sends non-persistent messages async by default)
 *   persistent-sync  persistent queue, every send waits for the broker's answer (the client's default)
 *   async            persistent queue, useAsyncSend=true with producerWindowSize (ProducerAck flow control)
 *   topic-fanout     non-persistent topic, PRODUCERS to CONSUMERS subscribers (the scenario passes 1 and 10)
 *   request-reply    one requester with a temporary reply queue, one responder; one request at a time
 *
 * A warm-up phase of WARMUP messages or WARMUP_SECONDS (new connections, same code) runs first so HotSpot has
 * compiled the paths; then the measured phase sends MESSAGES, or what it can in MAX_SECONDS, and
 * waits for every copy to arrive (at most DRAIN_TIMEOUT_MS more; what is missing then counts as
 * errors). Each body starts with System.nanoTime() at send: latency = send -> onMessage, one clock.
 * Sent-but-unreceived copies are capped at MAX_IN_FLIGHT so latency reflects a steady state, not
 * a backlog the producer piled up (as bench/scenario-queue.ts does over STOMP).
 *
 * Prints one JSON line on stdout: sent, received, seconds, sendRate, receiveRate, p50/p90/p99/max
 * (ms), errors and the first error's text.
 */
public final class OpenWireLoad {
    /** Sent-but-not-received copies: bounds the queue depth (as MAX_UNCONSUMED over STOMP). */
    static final int MAX_IN_FLIGHT = 10_000;
    /** The `async` scenario's producer window, ActiveMQ's documented example value. */
    static final int PRODUCER_WINDOW_BYTES = 1_024_000;
    /** After the last send, copies still missing after this long count as errors. */
    static final long DRAIN_TIMEOUT_MS = 20_000;
    /** A request without its reply for this long is an error (and ends the phase). */
    static final long REPLY_TIMEOUT_MS = 10_000;

    final String url;
    final String scenario;
    final int size;
    final int producers;
    final int consumers;

    final AtomicLong errors = new AtomicLong();
    final AtomicReference<String> firstError = new AtomicReference<>();
    /** A connection failed (the broker closed it or went away): producers and the drain stop waiting. */
    volatile boolean failed;

    OpenWireLoad(String url, String scenario, int size, int producers, int consumers) {
        this.url = url;
        this.scenario = scenario;
        this.size = Math.max(8, size);
        this.producers = producers;
        this.consumers = consumers;
    }

    void error(Throwable t) {
        errors.incrementAndGet();
        firstError.compareAndSet(null, t.toString());
    }

    /** Samples in ms, appended by one thread each (a recorder per consumer or requester). */
    static final class Samples {
        double[] values = new double[1024];
        int count;

        void add(double ms) {
            if (count == values.length) values = Arrays.copyOf(values, count * 2);
            values[count++] = ms;
        }
    }

    /** What one phase measured. */
    static final class Phase {
        long sent;
        long received;
        double seconds;
        final List<Samples> samples = new ArrayList<>();
    }

    Connection connect() throws JMSException {
        ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(url);
        if (scenario.equals("async")) {
            factory.setUseAsyncSend(true);
            factory.setProducerWindowSize(PRODUCER_WINDOW_BYTES);
        }
        Connection c = factory.createConnection();
        c.setExceptionListener(e -> {
            failed = true;
            error(e);
        });
        c.start();
        return c;
    }

    /** A new connection (added to `connections`, closed with them) and an auto-ack session on it. */
    Session session(List<Connection> connections) throws JMSException {
        Connection c = connect();
        connections.add(c);
        return c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    }

    Destination destination(Session s, boolean topic, String suffix) throws JMSException {
        return topic ? s.createTopic("bench.ow.topic" + suffix) : s.createQueue("bench.ow." + scenario + suffix);
    }

    static void closeAll(List<Connection> connections) {
        for (Connection c : connections) {
            try {
                c.close();
            } catch (JMSException ignored) {
                // A phase that failed closes what it opened; the error is already counted.
            }
        }
    }

    byte[] body(long sendNanos) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) 'x');
        for (int i = 0; i < 8; i++) b[i] = (byte) (sendNanos >>> (56 - 8 * i));
        return b;
    }

    static long stamp(BytesMessage m) throws JMSException {
        return m.readLong();
    }

    Phase run(long messages, double maxSeconds, String suffix) throws Exception {
        return scenario.equals("request-reply") ? requestReply(messages, maxSeconds, suffix) : oneWay(messages, maxSeconds, suffix);
    }

    /** queue, persistent-sync, async, topic-fanout: producers send, consumers count and time. */
    Phase oneWay(long messages, double maxSeconds, String suffix) throws Exception {
        boolean topic = scenario.equals("topic-fanout");
        boolean persistent = scenario.equals("persistent-sync") || scenario.equals("async");
        int copies = topic ? consumers : 1;
        Phase phase = new Phase();
        List<Connection> connections = new ArrayList<>();
        Semaphore window = new Semaphore(MAX_IN_FLIGHT);
        AtomicLong received = new AtomicLong();
        AtomicLong lastReceive = new AtomicLong();
        try {
            for (int i = 0; i < consumers; i++) {
                Session s = session(connections);
                MessageConsumer consumer = s.createConsumer(destination(s, topic, suffix));
                Samples samples = new Samples();
                phase.samples.add(samples);
                consumer.setMessageListener((Message m) -> {
                    long at = System.nanoTime();
                    try {
                        samples.add((at - stamp((BytesMessage) m)) / 1e6);
                    } catch (Exception e) {
                        error(e);
                    }
                    lastReceive.set(at);
                    received.incrementAndGet();
                    window.release();
                });
            }
            AtomicLong sent = new AtomicLong();
            long start = System.nanoTime();
            long deadline = start + (long) (maxSeconds * 1e9);
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                Session s = session(connections);
                MessageProducer producer = s.createProducer(destination(s, topic, suffix));
                producer.setDeliveryMode(persistent ? DeliveryMode.PERSISTENT : DeliveryMode.NON_PERSISTENT);
                Thread t = new Thread(() -> {
                    try {
                        while (System.nanoTime() < deadline) {
                            if (sent.incrementAndGet() > messages) {
                                sent.decrementAndGet();
                                break;
                            }
                            while (!window.tryAcquire(copies, 100, TimeUnit.MILLISECONDS)) {
                                if (failed) return;
                            }
                            BytesMessage m = s.createBytesMessage();
                            m.writeBytes(body(System.nanoTime()));
                            producer.send(m);
                        }
                    } catch (Exception e) {
                        error(e);
                    }
                }, "producer-" + p);
                threads.add(t);
            }
            for (Thread t : threads) t.start();
            for (Thread t : threads) t.join();
            phase.sent = sent.get();
            long expected = phase.sent * copies;
            long drainUntil = System.nanoTime() + DRAIN_TIMEOUT_MS * 1_000_000L;
            while (received.get() < expected && System.nanoTime() < drainUntil && !failed) Thread.sleep(1);
            phase.received = received.get();
            if (phase.received < expected) error(new IllegalStateException((expected - phase.received) + " of " + expected + " copies never arrived"));
            phase.seconds = (Math.max(lastReceive.get(), start) - start) / 1e9;
        } finally {
            closeAll(connections);
        }
        return phase;
    }

    /** One requester, one responder: a request goes out when the previous reply came back. */
    Phase requestReply(long messages, double maxSeconds, String suffix) throws Exception {
        Phase phase = new Phase();
        List<Connection> connections = new ArrayList<>();
        try {
            Session rs = session(connections);
            MessageProducer replier = rs.createProducer(null);
            replier.setDeliveryMode(DeliveryMode.NON_PERSISTENT);
            rs.createConsumer(rs.createQueue("bench.ow.request" + suffix)).setMessageListener((Message m) -> {
                try {
                    BytesMessage reply = rs.createBytesMessage();
                    reply.writeLong(stamp((BytesMessage) m));
                    reply.writeBytes(new byte[size - 8]);
                    reply.setJMSCorrelationID(m.getJMSCorrelationID());
                    replier.send(m.getJMSReplyTo(), reply);
                } catch (Exception e) {
                    error(e);
                }
            });

            Session qs = session(connections);
            TemporaryQueue replies = qs.createTemporaryQueue();
            MessageConsumer replyConsumer = qs.createConsumer(replies);
            MessageProducer requester = qs.createProducer(qs.createQueue("bench.ow.request" + suffix));
            requester.setDeliveryMode(DeliveryMode.NON_PERSISTENT);
            Samples samples = new Samples();
            phase.samples.add(samples);
            long start = System.nanoTime();
            long deadline = start + (long) (maxSeconds * 1e9);
            long end = start;
            while (phase.sent < messages && System.nanoTime() < deadline) {
                BytesMessage m = qs.createBytesMessage();
                m.writeBytes(body(System.nanoTime()));
                m.setJMSReplyTo(replies);
                m.setJMSCorrelationID(Long.toString(phase.sent));
                requester.send(m);
                phase.sent++;
                Message reply = failed ? null : replyConsumer.receive(REPLY_TIMEOUT_MS);
                end = System.nanoTime();
                if (reply == null) {
                    error(new IllegalStateException("no reply within " + REPLY_TIMEOUT_MS + " ms"));
                    break;
                }
                samples.add((end - stamp((BytesMessage) reply)) / 1e6);
                phase.received++;
            }
            phase.seconds = (end - start) / 1e9;
        } finally {
            closeAll(connections);
        }
        return phase;
    }

    static double at(double[] sorted, double q) {
        if (sorted.length == 0) return 0;
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** This JVM's CPU time (all threads), from HotSpot's OperatingSystemMXBean. */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    String json(Phase p, double cpuPercent) {
        int n = 0;
        for (Samples s : p.samples) n += s.count;
        double[] all = new double[n];
        int k = 0;
        for (Samples s : p.samples) {
            System.arraycopy(s.values, 0, all, k, s.count);
            k += s.count;
        }
        Arrays.sort(all);
        double secs = p.seconds > 0 ? p.seconds : 1e-9;
        String err = firstError.get();
        return String.format(Locale.ROOT,
            "{\"scenario\":\"%s\",\"sent\":%d,\"received\":%d,\"seconds\":%.4f,\"sendRate\":%.1f,\"receiveRate\":%.1f,"
                + "\"latency\":{\"count\":%d,\"p50\":%.4f,\"p90\":%.4f,\"p99\":%.4f,\"max\":%.4f},\"errors\":%d,\"firstError\":%s,"
                + "\"generatorCpuPercent\":%.1f}",
            scenario, p.sent, p.received, p.seconds, p.sent / secs, p.received / secs, n, at(all, 0.5), at(all, 0.9), at(all, 0.99),
            at(all, 1), errors.get(), err == null ? "null" : quote(err), cpuPercent);
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') b.append('\\').append(ch);
            else if (ch < 0x20) b.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
            else b.append(ch);
        }
        return b.append('"').toString();
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 9) {
            System.err.println("usage: OpenWireLoad URL SCENARIO MESSAGES WARMUP WARMUP_SECONDS MAX_SECONDS SIZE PRODUCERS CONSUMERS");
            System.exit(2);
        }
        List<String> known = List.of("queue", "persistent-sync", "async", "topic-fanout", "request-reply");
        if (!known.contains(args[1])) {
            System.err.println("OpenWireLoad: unknown scenario " + args[1] + " (expected one of " + known + ")");
            System.exit(2);
        }
        OpenWireLoad load = new OpenWireLoad(args[0], args[1], Integer.parseInt(args[6]), Integer.parseInt(args[7]), Integer.parseInt(args[8]));
        long warmup = Long.parseLong(args[3]);
        double maxSeconds = Double.parseDouble(args[5]);
        if (warmup > 0) load.run(warmup, Double.parseDouble(args[4]), ".warmup");
        if (load.failed) {
            System.err.println("OpenWireLoad: a connection failed in the warm-up: " + load.firstError.get());
            System.exit(1);
        }
        long warmupErrors = load.errors.getAndSet(0);
        if (warmupErrors > 0) System.err.println("OpenWireLoad: " + warmupErrors + " errors in the warm-up: " + load.firstError.get());
        load.firstError.set(null);
        System.out.println("{\"phase\":\"measure\"}");
        System.out.flush();
        long cpuStart = processCpuNanos();
        long wallStart = System.nanoTime();
        Phase measured = load.run(Long.parseLong(args[2]), maxSeconds, "");
        double cpuPercent = 100.0 * (processCpuNanos() - cpuStart) / Math.max(1, System.nanoTime() - wallStart);
        System.out.println(load.json(measured, cpuPercent));
        System.exit(0);
    }
}
