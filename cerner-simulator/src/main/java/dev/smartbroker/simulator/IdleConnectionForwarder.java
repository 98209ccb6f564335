package dev.smartbroker.simulator;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP forwarder in front of the JDK HttpServer that closes client connections idle for longer than a timeout, as
 * servers and load balancers with a short keep-alive timeout do: a plain close (FIN), no {@code Connection: close}
 * header, nothing changed in the bytes. The JDK server cannot do this per instance (its idle interval is a JVM-wide
 * property read once), hence the extra hop.
 *
 * <p>A connection is idle when nothing is buffered either way and the last bytes went to the client (its answer is
 * complete), or nothing was sent at all yet; a connection waiting for an answer, however slow (a LATENCY fault), is
 * never cut. Time is real time (monotonic), not the simulator's clock: this is network behaviour.
 *
 * <p>Bounded: one thread, at most {@value #MAX_CONNECTIONS} connections (more are closed at once), two buffers of
 * {@value #BUFFER_BYTES} bytes per connection. The server side is a loopback connection to the HttpServer. {@link #close}
 * stops the thread and closes every socket.
 */
final class IdleConnectionForwarder implements AutoCloseable {

    static final int MAX_CONNECTIONS = 1024;
    static final int BUFFER_BYTES = 16 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(IdleConnectionForwarder.class);

    /** One client connection and its connection to the HttpServer. Touched by the forwarder thread only. */
    private final class Pair {
        final SocketChannel client;
        final SocketChannel server;
        final InetAddress clientAddress;
        /** client → server and server → client bytes, each in fill mode (position = end of the data). */
        final ByteBuffer up = ByteBuffer.allocate(BUFFER_BYTES);
        final ByteBuffer down = ByteBuffer.allocate(BUFFER_BYTES);
        SelectionKey clientKey;
        SelectionKey serverKey;
        boolean connected;
        boolean clientEof;
        boolean serverEof;
        boolean serverOutputShut;
        int serverPort = -1;
        /** Bytes came from the client after the last bytes went back: a request is being answered. */
        boolean awaitingAnswer;
        long lastActivity = System.nanoTime();

        Pair(SocketChannel client, SocketChannel server, InetAddress clientAddress) {
            this.client = client;
            this.server = server;
            this.clientAddress = clientAddress;
        }

        boolean idle(long now) {
            return connected && !awaitingAnswer && up.position() == 0 && down.position() == 0 && now - lastActivity > idleNanos;
        }

        void updateInterest() {
            if (!clientKey.isValid() || !serverKey.isValid()) {
                return;
            }
            clientKey.interestOps((connected && !clientEof && up.hasRemaining() ? SelectionKey.OP_READ : 0)
                    | (down.position() > 0 ? SelectionKey.OP_WRITE : 0));
            serverKey.interestOps(!connected ? SelectionKey.OP_CONNECT
                    : (!serverEof && down.hasRemaining() ? SelectionKey.OP_READ : 0) | (up.position() > 0 ? SelectionKey.OP_WRITE : 0));
        }
    }

    private final Selector selector;
    private final ServerSocketChannel front;
    private final InetSocketAddress backend;
    private final long idleNanos;
    private final long tickMillis;
    private final List<Pair> pairs = new ArrayList<>();
    /** The client address behind each forwarder-to-server connection, by its local port: the admin API's loopback gate. */
    private final Map<Integer, InetAddress> clients = new ConcurrentHashMap<>();
    private final AtomicLong idleClosed = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * @param host        the address clients connect to
     * @param port        its port (0: a free one)
     * @param backend     the HttpServer, on loopback
     * @param idleMillis  close connections idle for longer than this
     */
    IdleConnectionForwarder(String host, int port, InetSocketAddress backend, long idleMillis) throws IOException {
        this.backend = backend;
        this.idleNanos = TimeUnit.MILLISECONDS.toNanos(idleMillis);
        this.tickMillis = Math.max(5, Math.min(50, idleMillis / 4));
        this.selector = Selector.open();
        this.front = ServerSocketChannel.open();
        try {
            front.bind(new InetSocketAddress(host, port), 512);
            front.configureBlocking(false);
            front.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException | RuntimeException e) {
            front.close();
            selector.close();
            throw e;
        }
        this.thread = new Thread(this::run, "cerner-simulator-idle-forwarder-" + port());
        thread.setDaemon(true);
        thread.start();
    }

    /** The port clients connect to. */
    int port() {
        return front.socket().getLocalPort();
    }

    /** How many connections were closed for being idle. */
    long idleClosed() {
        return idleClosed.get();
    }

    /** The address of the client whose connection reaches the HttpServer from {@code serverSidePort}, or null. */
    InetAddress clientOf(int serverSidePort) {
        return clients.get(serverSidePort);
    }

    private void run() {
        long lastSweep = System.nanoTime();
        while (running) {
            try {
                selector.select(tickMillis);
                for (SelectionKey key : selector.selectedKeys()) {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.channel() == front) {
                        accept();
                    } else {
                        Pair pair = (Pair) key.attachment();
                        try {
                            step(pair, key);
                        } catch (IOException e) {
                            close(pair);
                        }
                    }
                }
                selector.selectedKeys().clear();
                long now = System.nanoTime();
                if (now - lastSweep >= TimeUnit.MILLISECONDS.toNanos(tickMillis)) {
                    lastSweep = now;
                    sweep(now);
                }
            } catch (IOException | RuntimeException e) {
                if (running) {
                    LOG.warn("Idle-connection forwarder: {}", e.toString());
                }
            }
        }
    }

    private void accept() throws IOException {
        SocketChannel client = front.accept();
        if (client == null) {
            return;
        }
        if (pairs.size() >= MAX_CONNECTIONS) {
            client.close();
            return;
        }
        SocketChannel server = SocketChannel.open();
        try {
            client.configureBlocking(false);
            client.setOption(StandardSocketOptions.TCP_NODELAY, true);
            server.configureBlocking(false);
            server.setOption(StandardSocketOptions.TCP_NODELAY, true);
            InetAddress address = ((InetSocketAddress) client.getRemoteAddress()).getAddress();
            Pair pair = new Pair(client, server, address);
            pair.clientKey = client.register(selector, 0, pair);
            pair.serverKey = server.register(selector, 0, pair);
            pairs.add(pair);
            if (server.connect(backend)) {
                connected(pair);
            }
            pair.updateInterest();
        } catch (IOException e) {
            client.close();
            server.close();
        }
    }

    private void connected(Pair pair) throws IOException {
        pair.connected = true;
        pair.serverPort = ((InetSocketAddress) pair.server.getLocalAddress()).getPort();
        clients.put(pair.serverPort, pair.clientAddress);
        pair.lastActivity = System.nanoTime();
    }

    private void step(Pair pair, SelectionKey key) throws IOException {
        boolean fromClient = key == pair.clientKey;
        if (!fromClient && key.isConnectable()) {
            pair.server.finishConnect();
            connected(pair);
        }
        if (key.isValid() && key.isReadable()) {
            if (fromClient) {
                int n = pair.client.read(pair.up);
                if (n < 0) {
                    pair.clientEof = true;
                } else if (n > 0) {
                    pair.awaitingAnswer = true;
                    pair.lastActivity = System.nanoTime();
                }
            } else {
                int n = pair.server.read(pair.down);
                if (n < 0) {
                    // The HttpServer closed: HTTP/1.1 does not half-close, so the conversation ends once the rest is out.
                    pair.serverEof = true;
                } else if (n > 0) {
                    pair.awaitingAnswer = false;
                    pair.lastActivity = System.nanoTime();
                }
            }
        }
        if (key.isValid() && key.isWritable()) {
            flush(fromClient ? pair.down : pair.up, fromClient ? pair.client : pair.server);
        }
        if (pair.serverEof && pair.down.position() == 0) {
            close(pair);
            return;
        }
        if (pair.clientEof && pair.up.position() == 0 && pair.connected && !pair.serverOutputShut) {
            // The client is done sending: pass its FIN on, and relay the answer until the server closes.
            pair.serverOutputShut = true;
            pair.server.shutdownOutput();
        }
        pair.updateInterest();
    }

    private static void flush(ByteBuffer buffer, SocketChannel to) throws IOException {
        buffer.flip();
        try {
            to.write(buffer);
        } finally {
            buffer.compact();
        }
    }

    private void sweep(long now) {
        for (Pair pair : new ArrayList<>(pairs)) {
            if (pair.idle(now)) {
                idleClosed.incrementAndGet();
                LOG.debug("Closing a client connection idle for more than {} ms", TimeUnit.NANOSECONDS.toMillis(idleNanos));
                close(pair);
            }
        }
    }

    private void close(Pair pair) {
        pairs.remove(pair);
        if (pair.serverPort >= 0) {
            clients.remove(pair.serverPort, pair.clientAddress);
        }
        closeQuietly(pair.client);
        closeQuietly(pair.server);
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Pair pair : new ArrayList<>(pairs)) {
            close(pair);
        }
        try {
            front.close();
            selector.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
