// A JSch (Debian libjsch-java 0.1.55) client for the jsch-client interop tests, compiled by javac
// into a temporary directory at test time. Usage:
//   java -cp jsch.jar:DIR JschClient HOST PORT USER KNOWN_HOSTS AUTH ACTION [ARG...]
// AUTH is "password:SECRET" or "key:PATH" (an unencrypted private key JSch reads).
// ACTION "exec CMD" runs CMD, copying our stdin to it and its stdout and stderr to ours, and
// exits with its exit status. "pty CMD" does the same with a pty (xterm, 100x30).
// "sftp LOCAL REMOTE_DIR" puts LOCAL into REMOTE_DIR as "up.bin", lists REMOTE_DIR, gets it back
// as LOCAL + ".back", and prints "ls NAME SIZE" lines. "forward DEST_PORT" forwards a local port
// (setPortForwardingL) to 127.0.0.1:DEST_PORT, sends our stdin through it, and copies as many bytes
// as it sent of what comes back to stdout.
// Configuration for JSch is taken from system properties named "jsch.KEY" (for example
// -Djsch.PubkeyAcceptedKeyTypes=...). Errors go to stderr and exit 2; with -Djsch.log=1 JSch logs
// to stderr.
import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.Logger;
import com.jcraft.jsch.Session;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Vector;

public final class JschClient {
  private JschClient() {}

  public static void main(String[] args) throws Exception {
    try {
      System.exit(run(args));
    } catch (Exception e) {
      System.err.println("JschClient error: " + e);
      System.exit(2);
    }
  }

  private static int run(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    String user = args[2];
    String knownHosts = args[3];
    String auth = args[4];
    String action = args[5];
    if ("1".equals(System.getProperty("jsch.log"))) {
      JSch.setLogger(new Logger() {
        public boolean isEnabled(int level) {
          return true;
        }

        public void log(int level, String message) {
          System.err.println("jsch[" + level + "]: " + message);
        }
      });
    }
    JSch jsch = new JSch();
    jsch.setKnownHosts(knownHosts);
    if (auth.startsWith("key:")) jsch.addIdentity(auth.substring(4));
    Session session = jsch.getSession(user, host, port);
    if (auth.startsWith("password:")) session.setPassword(auth.substring(9));
    session.setConfig("StrictHostKeyChecking", "yes");
    session.setConfig("PreferredAuthentications", auth.startsWith("key:") ? "publickey" : "password");
    for (String name : System.getProperties().stringPropertyNames()) {
      if (name.startsWith("jsch.") && !name.equals("jsch.log")) session.setConfig(name.substring(5), System.getProperty(name));
    }
    session.connect(15000);
    try {
      System.err.println("server version: " + session.getServerVersion());
      if (action.equals("exec") || action.equals("pty")) return exec(session, args[6], action.equals("pty"));
      if (action.equals("sftp")) return sftp(session, args[6], args[7]);
      if (action.equals("forward")) return forward(session, Integer.parseInt(args[6]));
      throw new IllegalArgumentException("unknown action " + action);
    } finally {
      session.disconnect();
    }
  }

  private static int exec(Session session, String command, boolean pty) throws Exception {
    ChannelExec channel = (ChannelExec) session.openChannel("exec");
    channel.setCommand(command);
    if (pty) {
      channel.setPty(true);
      channel.setPtyType("xterm", 100, 30, 0, 0);
    }
    channel.setErrStream(System.err, true);
    InputStream out = channel.getInputStream();
    OutputStream in = channel.getOutputStream();
    channel.connect(15000);
    Thread feeder = new Thread(() -> {
      byte[] buf = new byte[32768];
      try {
        for (int n; (n = System.in.read(buf)) > 0; ) in.write(buf, 0, n);
        in.flush();
        if (!pty) in.close();
      } catch (Exception e) {
        System.err.println("JschClient stdin: " + e);
      }
    });
    feeder.setDaemon(true);
    feeder.start();
    byte[] buf = new byte[32768];
    for (int n; (n = out.read(buf)) >= 0; ) System.out.write(buf, 0, n);
    System.out.flush();
    while (!channel.isClosed()) Thread.sleep(20);
    int status = channel.getExitStatus();
    channel.disconnect();
    return status;
  }

  private static int forward(Session session, int destPort) throws Exception {
    int local = session.setPortForwardingL("127.0.0.1", 0, "127.0.0.1", destPort);
    byte[] data = System.in.readAllBytes();
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", local)) {
      socket.setSoTimeout(15000);
      OutputStream out = socket.getOutputStream();
      Thread writer = new Thread(() -> {
        try {
          out.write(data);
          out.flush();
        } catch (Exception e) {
          System.err.println("JschClient forward write: " + e);
        }
      });
      writer.setDaemon(true);
      writer.start();
      // Reads back as many bytes as it sent before closing, never half-closing: JSch 0.1.55 closes
      // the channel as soon as the local side's EOF is read, so what is still coming back is lost.
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[32768];
      int got = 0;
      for (int n; got < data.length && (n = in.read(buf, 0, Math.min(buf.length, data.length - got))) >= 0; got += n) System.out.write(buf, 0, n);
      System.out.flush();
      writer.join(15000);
    }
    session.delPortForwardingL("127.0.0.1", local);
    return 0;
  }

  private static int sftp(Session session, String local, String remoteDir) throws Exception {
    ChannelSftp sftp = (ChannelSftp) session.openChannel("sftp");
    sftp.connect(15000);
    sftp.put(local, remoteDir + "/up.bin");
    @SuppressWarnings("unchecked")
    Vector<ChannelSftp.LsEntry> entries = sftp.ls(remoteDir);
    for (ChannelSftp.LsEntry e : entries) {
      if (!e.getFilename().equals(".") && !e.getFilename().equals("..")) System.out.println("ls " + e.getFilename() + " " + e.getAttrs().getSize());
    }
    sftp.get(remoteDir + "/up.bin", local + ".back");
    sftp.disconnect();
    return 0;
  }
}
