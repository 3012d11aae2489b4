// gossh: golang.org/x/crypto/ssh (Debian's golang-golang-x-crypto-dev) as an interop peer for
// tooling/interop's go.ts. Two modes, each given a JSON config file:
//
//	gossh client CONFIG   connects, runs the config's actions in order, prints one JSON result
//	gossh server CONFIG   listens on 127.0.0.1:0, prints "INTEROP-READY <port>", serves until killed
//
// Built offline in GOPATH mode (GO111MODULE=off, GOPATH=/usr/share/gocode) by go.ts.
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gossh client|server CONFIG")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[2])
	if err != nil {
		fail(err)
	}
	switch os.Args[1] {
	case "client":
		var cfg clientConfig
		if err := json.Unmarshal(raw, &cfg); err != nil {
			fail(err)
		}
		runClient(&cfg)
	case "server":
		var cfg serverConfig
		if err := json.Unmarshal(raw, &cfg); err != nil {
			fail(err)
		}
		runServer(&cfg)
	default:
		fail(fmt.Errorf("unknown mode %q", os.Args[1]))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gossh:", err)
	os.Exit(1)
}

func loadSigners(paths []string) []ssh.Signer {
	var signers []ssh.Signer
	for _, path := range paths {
		pem, err := os.ReadFile(path)
		if err != nil {
			fail(err)
		}
		signer, err := ssh.ParsePrivateKey(pem)
		if err != nil {
			fail(fmt.Errorf("%s: %w", path, err))
		}
		signers = append(signers, signer)
	}
	return signers
}

// readCertificate reads an OpenSSH certificate (a -cert.pub line); it fails the run when the file
// is missing, does not parse, or holds a plain key.
func readCertificate(path string) *ssh.Certificate {
	line, err := os.ReadFile(path)
	if err != nil {
		fail(err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(line)
	if err != nil {
		fail(fmt.Errorf("%s: %w", path, err))
	}
	cert, ok := pub.(*ssh.Certificate)
	if !ok {
		fail(fmt.Errorf("%s: not a certificate", path))
	}
	return cert
}

func sum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

func randomBytes(n int) []byte {
	data := make([]byte, n)
	if _, err := rand.Read(data); err != nil {
		fail(err)
	}
	return data
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// ---------------------------------------------------------------- client

type clientConfig struct {
	Addr              string            `json:"addr"`
	User              string            `json:"user"`
	Keys              []string          `json:"keys"`
	Certs             []string          `json:"certs"`
	Password          *string           `json:"password"`
	KbdintAnswers     []string          `json:"kbdintAnswers"`
	KnownHosts        string            `json:"knownHosts"`
	HostKeyAlgorithms []string          `json:"hostKeyAlgorithms"`
	Kex               []string          `json:"kex"`
	Ciphers           []string          `json:"ciphers"`
	Macs              []string          `json:"macs"`
	RekeyThreshold    uint64            `json:"rekeyThreshold"`
	TimeoutMs         int               `json:"timeoutMs"`
	Actions           []json.RawMessage `json:"actions"`
}

type action struct {
	Op          string            `json:"op"`
	Command     string            `json:"command"`
	Stdin       *string           `json:"stdin"`
	StdinRandom int               `json:"stdinRandom"`
	Pty         *ptyRequest       `json:"pty"`
	Resize      *[2]int           `json:"resize"`
	Signal      string            `json:"signal"`
	Path        string            `json:"path"`
	Count       int               `json:"count"`
	Name        string            `json:"name"`
	Env         map[string]string `json:"env"`
	HashStdout  bool              `json:"hashStdout"`
	Host        string            `json:"host"`
	Port        int               `json:"port"`
	Bytes       int               `json:"bytes"`
	Ms          int               `json:"ms"`
}

type ptyRequest struct {
	Term   string `json:"term"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

type clientResult struct {
	HostKeyType string        `json:"hostKeyType,omitempty"`
	Challenges  []interface{} `json:"challenges,omitempty"`
	Banners     []string      `json:"banners,omitempty"`
	Error       string        `json:"error,omitempty"`
	Actions     []interface{} `json:"actions"`
}

func runClient(cfg *clientConfig) {
	result := clientResult{Actions: []interface{}{}}
	out := func(code int) {
		text, _ := json.Marshal(result)
		fmt.Println(string(text))
		os.Exit(code)
	}
	var auth []ssh.AuthMethod
	signers := loadSigners(cfg.Keys)
	// certs[i], when given, is the certificate (-cert.pub) of keys[i]: offered instead of the plain key.
	for i, path := range cfg.Certs {
		if path == "" || i >= len(signers) {
			continue
		}
		cert := readCertificate(path)
		certSigner, err := ssh.NewCertSigner(cert, signers[i])
		if err != nil {
			fail(fmt.Errorf("%s: %w", path, err))
		}
		signers[i] = certSigner
	}
	if len(signers) > 0 {
		auth = append(auth, ssh.PublicKeys(signers...))
	}
	if cfg.Password != nil {
		auth = append(auth, ssh.Password(*cfg.Password))
	}
	if cfg.KbdintAnswers != nil {
		auth = append(auth, ssh.KeyboardInteractive(func(name, instruction string, questions []string, echos []bool) ([]string, error) {
			result.Challenges = append(result.Challenges, map[string]interface{}{"name": name, "instruction": instruction, "questions": questions, "echos": echos})
			if len(questions) == 0 {
				return []string{}, nil
			}
			if len(questions) > len(cfg.KbdintAnswers) {
				return nil, fmt.Errorf("%d questions, %d answers", len(questions), len(cfg.KbdintAnswers))
			}
			return cfg.KbdintAnswers[:len(questions)], nil
		}))
	}
	var hostKeyCallback ssh.HostKeyCallback
	if cfg.KnownHosts == "" {
		hostKeyCallback = ssh.InsecureIgnoreHostKey()
	} else {
		cb, err := knownhosts.New(cfg.KnownHosts)
		if err != nil {
			fail(err)
		}
		hostKeyCallback = cb
	}
	timeout := time.Duration(cfg.TimeoutMs) * time.Millisecond
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	config := &ssh.ClientConfig{
		Config: ssh.Config{KeyExchanges: cfg.Kex, Ciphers: cfg.Ciphers, MACs: cfg.Macs, RekeyThreshold: cfg.RekeyThreshold},
		User:   cfg.User,
		Auth:   auth,
		HostKeyCallback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			result.HostKeyType = key.Type()
			return hostKeyCallback(hostname, remote, key)
		},
		HostKeyAlgorithms: cfg.HostKeyAlgorithms,
		Timeout:           timeout,
		BannerCallback: func(message string) error {
			result.Banners = append(result.Banners, message)
			return nil
		},
	}
	client, err := ssh.Dial("tcp", cfg.Addr, config)
	if err != nil {
		result.Error = err.Error()
		out(1)
	}
	defer client.Close()
	for _, raw := range cfg.Actions {
		var a action
		if err := json.Unmarshal(raw, &a); err != nil {
			fail(err)
		}
		switch a.Op {
		case "exec":
			result.Actions = append(result.Actions, doExec(client, &a))
		case "sessionRequest":
			// A channel request on a fresh session, before any exec: the peer's answer.
			session, err := client.NewSession()
			if err != nil {
				result.Actions = append(result.Actions, map[string]interface{}{"error": err.Error()})
				break
			}
			ok, err := session.SendRequest(a.Name, true, nil)
			session.Close()
			result.Actions = append(result.Actions, map[string]interface{}{"ok": ok, "error": errText(err)})
		case "keepalive":
			ok, payload, err := client.SendRequest("keepalive@openssh.com", true, nil)
			result.Actions = append(result.Actions, map[string]interface{}{"ok": ok, "payload": hex.EncodeToString(payload), "error": errText(err)})
		case "local":
			result.Actions = append(result.Actions, doLocal(client, &a))
		case "remote":
			result.Actions = append(result.Actions, doRemote(client, &a))
		case "parallel":
			result.Actions = append(result.Actions, doParallel(client, &a))
		case "localUnix":
			result.Actions = append(result.Actions, doLocalUnix(client, &a))
		case "remoteUnix":
			result.Actions = append(result.Actions, doRemoteUnix(client, &a))
		case "sleep":
			time.Sleep(time.Duration(a.Ms) * time.Millisecond)
			result.Actions = append(result.Actions, map[string]interface{}{})
		default:
			fail(fmt.Errorf("unknown action %q", a.Op))
		}
	}
	out(0)
}

type execResult struct {
	Stdout       string   `json:"stdout"`
	StdoutLength int      `json:"stdoutLength"`
	StdoutSha256 string   `json:"stdoutSha256"`
	Stderr       string   `json:"stderr"`
	ExitStatus   *int     `json:"exitStatus"`
	ExitSignal   string   `json:"exitSignal,omitempty"`
	StdinSha256  string   `json:"stdinSha256,omitempty"`
	EnvErrors    []string `json:"envErrors,omitempty"`
	Error        string   `json:"error,omitempty"`
}

func doExec(client *ssh.Client, a *action) (r execResult) {
	session, err := client.NewSession()
	if err != nil {
		r.Error = err.Error()
		return
	}
	defer session.Close()
	for name, value := range a.Env {
		if err := session.Setenv(name, value); err != nil {
			r.EnvErrors = append(r.EnvErrors, name+": "+err.Error())
		}
	}
	if a.Pty != nil {
		if err := session.RequestPty(a.Pty.Term, a.Pty.Height, a.Pty.Width, ssh.TerminalModes{ssh.ECHO: 0}); err != nil {
			r.Error = "pty: " + err.Error()
			return
		}
	}
	stdout := &notifyBuffer{first: make(chan struct{})}
	var stderr bytes.Buffer
	session.Stdout = stdout
	session.Stderr = &stderr
	stdin, err := session.StdinPipe()
	if err != nil {
		r.Error = err.Error()
		return
	}
	if err := session.Start(a.Command); err != nil {
		r.Error = "start: " + err.Error()
		return
	}
	var input []byte
	if a.Stdin != nil {
		input = []byte(*a.Stdin)
	} else if a.StdinRandom > 0 {
		input = randomBytes(a.StdinRandom)
		r.StdinSha256 = sum(input)
	}
	writeDone := make(chan error, 1)
	go func() {
		_, err := stdin.Write(input)
		if a.Resize == nil && a.Signal == "" {
			stdin.Close()
		}
		writeDone <- err
	}()
	if a.Resize != nil || a.Signal != "" {
		if a.Resize != nil {
			// The command reports its first size before the change.
			select {
			case <-stdout.first:
			case <-time.After(10 * time.Second):
			}
		} else {
			time.Sleep(300 * time.Millisecond)
		}
		if a.Resize != nil {
			if err := session.WindowChange(a.Resize[1], a.Resize[0]); err != nil {
				r.Error = "window-change: " + err.Error()
			}
		}
		if a.Signal != "" {
			if err := session.Signal(ssh.Signal(a.Signal)); err != nil {
				r.Error = "signal: " + err.Error()
			}
		}
		time.Sleep(300 * time.Millisecond)
		stdin.Close()
	}
	err = session.Wait()
	var exitErr *ssh.ExitError
	switch {
	case err == nil:
		status := 0
		r.ExitStatus = &status
	case errors.As(err, &exitErr):
		if exitErr.Signal() != "" {
			r.ExitSignal = exitErr.Signal()
		} else {
			status := exitErr.ExitStatus()
			r.ExitStatus = &status
		}
	default:
		r.Error = err.Error()
	}
	if werr := <-writeDone; werr != nil && r.Error == "" && !errors.Is(werr, io.EOF) {
		r.Error = "stdin: " + werr.Error()
	}
	out := stdout.bytes()
	r.StdoutLength = len(out)
	r.StdoutSha256 = sum(out)
	if !a.HashStdout {
		r.Stdout = string(out)
	}
	r.Stderr = stderr.String()
	return
}

// notifyBuffer collects a command's stdout and closes `first` at its first write.
type notifyBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	first chan struct{}
	once  sync.Once
}

func (b *notifyBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	b.once.Do(func() { close(b.first) })
	return n, err
}

func (b *notifyBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Bytes()
}

// roundTrip writes n random bytes to conn while reading n bytes back, and compares them.
func roundTrip(conn net.Conn, n int) map[string]interface{} {
	data := randomBytes(n)
	go func() {
		conn.Write(data)
	}()
	back := make([]byte, n)
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	got, err := io.ReadFull(conn, back)
	return map[string]interface{}{"length": got, "equal": err == nil && bytes.Equal(back, data), "error": errText(err)}
}

// dialRoundTrip opens a channel to address through the client (direct-tcpip or
// direct-streamlocal) and round-trips n bytes through it (an echo server there).
func dialRoundTrip(client *ssh.Client, network, address string, n int) map[string]interface{} {
	conn, err := client.Dial(network, address)
	if err != nil {
		return map[string]interface{}{"error": err.Error()}
	}
	defer conn.Close()
	return roundTrip(conn, n)
}

// forwardedRoundTrip echoes what comes through a forward's listener, dials the listening end
// (network, address) here, round-trips n bytes, then closes the listener (cancelling the forward).
func forwardedRoundTrip(listener net.Listener, network, address string, n int) map[string]interface{} {
	go serveEcho(listener)
	conn, err := net.DialTimeout(network, address, 10*time.Second)
	if err != nil {
		listener.Close()
		return map[string]interface{}{"error": "dial: " + err.Error()}
	}
	r := roundTrip(conn, n)
	conn.Close()
	r["cancelError"] = errText(listener.Close())
	return r
}

func doLocal(client *ssh.Client, a *action) map[string]interface{} {
	return dialRoundTrip(client, "tcp", net.JoinHostPort(a.Host, strconv.Itoa(a.Port)), a.Bytes)
}

func doRemote(client *ssh.Client, a *action) map[string]interface{} {
	host := a.Host
	if host == "" {
		host = "127.0.0.1"
	}
	listener, err := client.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(a.Port)))
	if err != nil {
		return map[string]interface{}{"error": "listen: " + err.Error()}
	}
	port := listener.Addr().(*net.TCPAddr).Port
	r := forwardedRoundTrip(listener, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), a.Bytes)
	r["port"] = port
	return r
}

// doParallel runs `count` copies of the exec action at once, each on its own session.
func doParallel(client *ssh.Client, a *action) []execResult {
	results := make([]execResult, a.Count)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			one := *a
			results[i] = doExec(client, &one)
		}(i)
	}
	wg.Wait()
	return results
}

func doLocalUnix(client *ssh.Client, a *action) map[string]interface{} {
	return dialRoundTrip(client, "unix", a.Path, a.Bytes)
}

func serveEcho(listener net.Listener) {
	for {
		conn, err := listener.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			io.Copy(conn, conn)
		}()
	}
}

func doRemoteUnix(client *ssh.Client, a *action) map[string]interface{} {
	listener, err := client.ListenUnix(a.Path)
	if err != nil {
		return map[string]interface{}{"error": "listen: " + err.Error()}
	}
	return forwardedRoundTrip(listener, "unix", a.Path, a.Bytes)
}

// ---------------------------------------------------------------- server

type serverConfig struct {
	HostKeys       []string          `json:"hostKeys"`
	HostCerts      []string          `json:"hostCerts"`
	UserCAs        []string          `json:"userCAs"`
	AuthorizedKeys []string          `json:"authorizedKeys"`
	Passwords      map[string]string `json:"passwords"`
	Banner         string            `json:"banner"`
	Kex            []string          `json:"kex"`
	Ciphers        []string          `json:"ciphers"`
	Macs           []string          `json:"macs"`
	RekeyThreshold uint64            `json:"rekeyThreshold"`
}

func runServer(cfg *serverConfig) {
	authorized := map[string]bool{}
	for _, line := range cfg.AuthorizedKeys {
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			fail(fmt.Errorf("authorized key %q: %w", line, err))
		}
		authorized[string(key.Marshal())] = true
	}
	userCAs := map[string]bool{}
	for _, line := range cfg.UserCAs {
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			fail(fmt.Errorf("user CA %q: %w", line, err))
		}
		userCAs[string(key.Marshal())] = true
	}
	// User certificates signed by a userCAs key, for the user among their principals.
	certChecker := &ssh.CertChecker{
		IsUserAuthority: func(auth ssh.PublicKey) bool { return userCAs[string(auth.Marshal())] },
	}
	config := &ssh.ServerConfig{
		Config: ssh.Config{KeyExchanges: cfg.Kex, Ciphers: cfg.Ciphers, MACs: cfg.Macs, RekeyThreshold: cfg.RekeyThreshold},
		PublicKeyCallback: func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if cert, ok := key.(*ssh.Certificate); ok {
				if _, err := certChecker.Authenticate(meta, key); err != nil {
					return nil, err
				}
				return &ssh.Permissions{Extensions: map[string]string{"auth": "publickey " + cert.Type() + " " + cert.KeyId}}, nil
			}
			if authorized[string(key.Marshal())] {
				return &ssh.Permissions{Extensions: map[string]string{"auth": "publickey " + key.Type()}}, nil
			}
			return nil, fmt.Errorf("key %s not authorized", key.Type())
		},
		PasswordCallback: func(meta ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
			if want, ok := cfg.Passwords[meta.User()]; ok && want == string(password) {
				return &ssh.Permissions{Extensions: map[string]string{"auth": "password"}}, nil
			}
			return nil, errors.New("wrong password")
		},
		BannerCallback: func(meta ssh.ConnMetadata) string { return cfg.Banner },
		KeyboardInteractiveCallback: func(meta ssh.ConnMetadata, challenge ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			answers, err := challenge("Go login", "Answer the questions", []string{"Password: ", "Favourite colour: "}, []bool{false, true})
			if err != nil {
				return nil, err
			}
			if want, ok := cfg.Passwords[meta.User()]; ok && len(answers) == 2 && answers[0] == want && answers[1] == "blue" {
				return &ssh.Permissions{Extensions: map[string]string{"auth": "keyboard-interactive"}}, nil
			}
			return nil, errors.New("wrong answers")
		},
	}
	signers := loadSigners(cfg.HostKeys)
	for _, signer := range signers {
		config.AddHostKey(signer)
	}
	// Host certificates, each for the host key it certifies (x/crypto keeps one signer per algorithm).
	for _, path := range cfg.HostCerts {
		cert := readCertificate(path)
		matched := false
		for _, signer := range signers {
			if bytes.Equal(signer.PublicKey().Marshal(), cert.Key.Marshal()) {
				certSigner, err := ssh.NewCertSigner(cert, signer)
				if err != nil {
					fail(fmt.Errorf("%s: %w", path, err))
				}
				config.AddHostKey(certSigner)
				matched = true
			}
		}
		if !matched {
			fail(fmt.Errorf("%s certifies none of the host keys", path))
		}
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	fmt.Printf("INTEROP-READY %d\n", listener.Addr().(*net.TCPAddr).Port)
	for {
		conn, err := listener.Accept()
		if err != nil {
			fail(err)
		}
		go serveConn(conn, config)
	}
}

func serveConn(netConn net.Conn, config *ssh.ServerConfig) {
	conn, chans, reqs, err := ssh.NewServerConn(netConn, config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "handshake:", err)
		netConn.Close()
		return
	}
	fmt.Fprintf(os.Stderr, "session for %s (%s), client %s\n", conn.User(), conn.Permissions.Extensions["auth"], conn.ClientVersion())
	forwards := &forwardTable{listeners: map[string]net.Listener{}}
	defer forwards.closeAll()
	go func() {
		for req := range reqs {
			handleGlobal(conn, forwards, req)
		}
	}()
	for newChannel := range chans {
		switch newChannel.ChannelType() {
		case "session":
			ch, requests, err := newChannel.Accept()
			if err != nil {
				continue
			}
			go serveSession(ch, requests)
		case "direct-tcpip":
			go serveDirect(newChannel)
		case "direct-streamlocal@openssh.com":
			go serveDirectUnix(newChannel)
		default:
			newChannel.Reject(ssh.UnknownChannelType, "unknown channel type")
		}
	}
}

type forwardTable struct {
	mu        sync.Mutex
	listeners map[string]net.Listener
}

func (f *forwardTable) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range f.listeners {
		l.Close()
	}
}

func handleGlobal(conn *ssh.ServerConn, forwards *forwardTable, req *ssh.Request) {
	switch req.Type {
	case "tcpip-forward":
		var msg struct {
			Addr string
			Port uint32
		}
		if err := ssh.Unmarshal(req.Payload, &msg); err != nil || (msg.Addr != "127.0.0.1" && msg.Addr != "localhost") {
			req.Reply(false, nil)
			return
		}
		listener, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(msg.Port))))
		if err != nil {
			req.Reply(false, nil)
			return
		}
		port := uint32(listener.Addr().(*net.TCPAddr).Port)
		forwards.mu.Lock()
		forwards.listeners[fmt.Sprintf("%s:%d", msg.Addr, port)] = listener
		forwards.mu.Unlock()
		if msg.Port == 0 {
			req.Reply(true, ssh.Marshal(struct{ Port uint32 }{port}))
		} else {
			req.Reply(true, nil)
		}
		go func() {
			for {
				tcp, err := listener.Accept()
				if err != nil {
					return
				}
				go func() {
					origin := tcp.RemoteAddr().(*net.TCPAddr)
					payload := ssh.Marshal(struct {
						Addr       string
						Port       uint32
						OriginAddr string
						OriginPort uint32
					}{msg.Addr, port, origin.IP.String(), uint32(origin.Port)})
					ch, reqs, err := conn.OpenChannel("forwarded-tcpip", payload)
					if err != nil {
						tcp.Close()
						return
					}
					go ssh.DiscardRequests(reqs)
					pipe(ch, tcp.(*net.TCPConn))
				}()
			}
		}()
	case "cancel-tcpip-forward":
		var msg struct {
			Addr string
			Port uint32
		}
		if err := ssh.Unmarshal(req.Payload, &msg); err != nil {
			req.Reply(false, nil)
			return
		}
		key := fmt.Sprintf("%s:%d", msg.Addr, msg.Port)
		forwards.mu.Lock()
		listener, ok := forwards.listeners[key]
		delete(forwards.listeners, key)
		forwards.mu.Unlock()
		if ok {
			listener.Close()
		}
		req.Reply(ok, nil)
	default:
		fmt.Fprintf(os.Stderr, "global request %s (want reply %v): refused\n", req.Type, req.WantReply)
		if req.WantReply {
			req.Reply(false, nil)
		}
	}
}

func serveDirect(newChannel ssh.NewChannel) {
	var msg struct {
		Host       string
		Port       uint32
		OriginHost string
		OriginPort uint32
	}
	if err := ssh.Unmarshal(newChannel.ExtraData(), &msg); err != nil {
		newChannel.Reject(ssh.ConnectionFailed, "bad direct-tcpip request")
		return
	}
	dialAndPipe(newChannel, "tcp", net.JoinHostPort(msg.Host, strconv.Itoa(int(msg.Port))))
}

func serveDirectUnix(newChannel ssh.NewChannel) {
	var msg struct {
		Path     string
		Reserved string
		Port     uint32
	}
	if err := ssh.Unmarshal(newChannel.ExtraData(), &msg); err != nil {
		newChannel.Reject(ssh.ConnectionFailed, "bad direct-streamlocal request")
		return
	}
	dialAndPipe(newChannel, "unix", msg.Path)
}

// dialAndPipe dials address for a direct channel, refusing the channel with the dial's error,
// then accepts it and pipes the two.
func dialAndPipe(newChannel ssh.NewChannel, network, address string) {
	conn, err := net.DialTimeout(network, address, 10*time.Second)
	if err != nil {
		newChannel.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	ch, reqs, err := newChannel.Accept()
	if err != nil {
		conn.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	pipe(ch, conn.(halfCloser))
}

// halfCloser is a connection whose writing side closes alone (TCP and Unix sockets).
type halfCloser interface {
	net.Conn
	CloseWrite() error
}

// pipe copies both ways, passing each side's EOF on, and closes both when both are done.
func pipe(ch ssh.Channel, tcp halfCloser) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		io.Copy(tcp, ch)
		tcp.CloseWrite()
	}()
	go func() {
		defer wg.Done()
		io.Copy(ch, tcp)
		ch.CloseWrite()
	}()
	wg.Wait()
	ch.Close()
	tcp.Close()
}

type sessionState struct {
	mu      sync.Mutex
	term    string
	width   uint32
	height  uint32
	env     []string
	resized chan [2]uint32
}

func serveSession(ch ssh.Channel, requests <-chan *ssh.Request) {
	state := &sessionState{resized: make(chan [2]uint32, 8)}
	started := false
	for req := range requests {
		switch req.Type {
		case "pty-req":
			var msg struct {
				Term   string
				Width  uint32
				Height uint32
				PxW    uint32
				PxH    uint32
				Modes  string
			}
			if err := ssh.Unmarshal(req.Payload, &msg); err != nil {
				req.Reply(false, nil)
				continue
			}
			state.mu.Lock()
			state.term, state.width, state.height = msg.Term, msg.Width, msg.Height
			state.mu.Unlock()
			req.Reply(true, nil)
		case "env":
			var msg struct{ Name, Value string }
			if err := ssh.Unmarshal(req.Payload, &msg); err != nil {
				req.Reply(false, nil)
				continue
			}
			state.mu.Lock()
			state.env = append(state.env, msg.Name+"="+msg.Value)
			state.mu.Unlock()
			req.Reply(true, nil)
		case "window-change":
			if len(req.Payload) >= 8 {
				size := [2]uint32{binary.BigEndian.Uint32(req.Payload), binary.BigEndian.Uint32(req.Payload[4:])}
				state.mu.Lock()
				state.width, state.height = size[0], size[1]
				state.mu.Unlock()
				select {
				case state.resized <- size:
				default:
				}
			}
			if req.WantReply {
				req.Reply(false, nil)
			}
		case "exec", "shell":
			command := ""
			if req.Type == "exec" {
				var msg struct{ Command string }
				if err := ssh.Unmarshal(req.Payload, &msg); err != nil {
					req.Reply(false, nil)
					continue
				}
				command = msg.Command
			}
			if started {
				req.Reply(false, nil)
				continue
			}
			started = true
			req.Reply(true, nil)
			go runCommand(ch, state, command)
		default:
			if req.WantReply {
				req.Reply(false, nil)
			}
		}
	}
}

// signalNames: RFC 4254 6.10's names of the signals a command may die of.
var signalNames = map[syscall.Signal]string{
	syscall.SIGABRT: "ABRT", syscall.SIGALRM: "ALRM", syscall.SIGFPE: "FPE", syscall.SIGHUP: "HUP",
	syscall.SIGILL: "ILL", syscall.SIGINT: "INT", syscall.SIGKILL: "KILL", syscall.SIGPIPE: "PIPE",
	syscall.SIGQUIT: "QUIT", syscall.SIGSEGV: "SEGV", syscall.SIGTERM: "TERM", syscall.SIGUSR1: "USR1",
	syscall.SIGUSR2: "USR2",
}

func exitWith(ch ssh.Channel, status int) {
	ch.CloseWrite()
	ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(status)}))
	ch.Close()
}

// runCommand runs the canned commands pty-info and wait-resize itself, and anything else with
// /bin/sh -c and the session's env requests in its environment.
func runCommand(ch ssh.Channel, state *sessionState, command string) {
	state.mu.Lock()
	term, width, height, env := state.term, state.width, state.height, append([]string(nil), state.env...)
	state.mu.Unlock()
	if term == "" {
		term = "none"
	}
	switch command {
	case "pty-info":
		fmt.Fprintf(ch, "%s %dx%d\n", term, width, height)
		exitWith(ch, 0)
		return
	case "wait-resize":
		fmt.Fprintf(ch, "ready %dx%d\n", width, height)
		select {
		case size := <-state.resized:
			fmt.Fprintf(ch, "resized %dx%d\n", size[0], size[1])
			exitWith(ch, 0)
		case <-time.After(20 * time.Second):
			exitWith(ch, 1)
		}
		return
	}
	if command == "" {
		command = "exec /bin/sh"
	}
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Env = append(os.Environ(), env...)
	if term != "none" {
		cmd.Env = append(cmd.Env, "TERM="+term)
	}
	cmd.Stdout = ch
	cmd.Stderr = ch.Stderr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		fmt.Fprintln(ch.Stderr(), err)
		exitWith(ch, 255)
		return
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(ch.Stderr(), err)
		exitWith(ch, 127)
		return
	}
	go func() {
		io.Copy(stdin, ch)
		stdin.Close()
	}()
	err = cmd.Wait()
	status := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			// RFC 4254 6.10: the signal's name without "SIG".
			name, known := signalNames[ws.Signal()]
			if !known {
				name = fmt.Sprintf("SIG%d", int(ws.Signal()))
			}
			ch.CloseWrite()
			ch.SendRequest("exit-signal", false, ssh.Marshal(struct {
				Signal     string
				CoreDumped bool
				Message    string
				Lang       string
			}{name, ws.CoreDump(), "killed by signal", ""}))
			ch.Close()
			return
		}
		status = exitErr.ExitCode()
	} else if err != nil {
		fmt.Fprintln(ch.Stderr(), strings.TrimSpace(err.Error()))
		status = 255
	}
	exitWith(ch, status)
}
