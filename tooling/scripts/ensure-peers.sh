#!/usr/bin/env bash
# Installs the real SSH peers the tests and benchmarks run against, when they are missing:
# OpenSSH's server and client, Debian's AsyncSSH and Paramiko (an SSH and SFTP client and server of
# its own, both directions of the paramiko-*.interop tests) for /usr/bin/python3, PuTTY's puttygen, plink,
# pscp and psftp, dropbear's client (dbclient, dropbearconvert: an implementation of its own), the
# openssl command (key-format interop), python3-bcrypt (AsyncSSH's encrypted OpenSSH keys) and
# curl (a SOCKS client for the forwarding tests), SoftHSM and OpenSC's pkcs11-tool (a PKCS#11 token
# for loadPkcs11Keys), and xauth (sshd's X11 forwarding needs it; the X11 tests read and write
# Xauthority files with it), and MIT Kerberos (krb5-kdc, krb5-admin-server, krb5-user and
# libgssapi-krb5-2: the gssapi-with-mic tests run a throwaway realm's KDC on loopback, with
# kdb5_util, kadmin.local and kinit, and load the GSS-API library), Go with golang.org/x/crypto/ssh
# (golang-go, golang-golang-x-crypto-dev: an SSH client and server of its own, built offline for the
# go-*.interop tests), tinysshd (a strict server of its own, run inetd-style by the tinyssh-server
# tests) and JSch (libjsch-java, an old Java client, with default-jdk-headless's java and javac for
# the jsch-client tests), and libssh (libssh-dev: the libssh.org library and headers, an SSH
# client and server of its own, built with cc for the libssh-* tests), and Erlang/OTP's ssh
# application (erlang-base with erl and erlc, erlang-ssh, erlang-crypto, erlang-public-key,
# erlang-asn1: a client, server, SFTP client and SFTP server of its own, compiled with erlc for the
# erlang-* tests). Also a C toolchain (g++, make,
# python3 for node-gyp) so that @ssh/crypto-native's binding is built and tested.
set -euo pipefail

have_peers() {
  [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null && command -v ssh-keygen >/dev/null &&
    command -v ssh-agent >/dev/null && command -v sftp >/dev/null && [ -x /usr/lib/openssh/sftp-server ] &&
    command -v puttygen >/dev/null && command -v plink >/dev/null && command -v dbclient >/dev/null &&
    command -v dropbearconvert >/dev/null && command -v openssl >/dev/null && command -v curl >/dev/null &&
    command -v xauth >/dev/null &&
    [ -x /usr/sbin/krb5kdc ] && [ -x /usr/sbin/kdb5_util ] && [ -x /usr/sbin/kadmin.local ] && command -v kinit >/dev/null &&
    { [ -e "/usr/lib/$(uname -m)-linux-gnu/libgssapi_krb5.so.2" ] || /sbin/ldconfig -p 2>/dev/null | grep -q 'libgssapi_krb5\.so\.2 '; } &&
    [ -e /usr/lib/softhsm/libsofthsm2.so ] && command -v softhsm2-util >/dev/null && command -v pkcs11-tool >/dev/null &&
    /usr/bin/python3 -c 'import asyncssh, bcrypt' >/dev/null 2>&1 &&
    /usr/bin/python3 -c 'import paramiko' >/dev/null 2>&1 &&
    command -v go >/dev/null && [ -d /usr/share/gocode/src/golang.org/x/crypto/ssh ] &&
    [ -x /usr/sbin/tinysshd ] && [ -x /usr/sbin/tinysshd-makekey ] &&
    [ -f /usr/share/java/jsch.jar ] && command -v java >/dev/null && command -v javac >/dev/null &&
    [ -f /usr/include/libssh/libssh.h ] &&
    [ -x /usr/bin/erl ] && [ -x /usr/bin/erlc ] && compgen -G '/usr/lib/erlang/lib/ssh-*' >/dev/null &&
    compgen -G '/usr/lib/erlang/lib/public_key-*' >/dev/null && compgen -G '/usr/lib/erlang/lib/crypto-*' >/dev/null &&
    command -v cc >/dev/null && command -v c++ >/dev/null && command -v make >/dev/null
}

if have_peers; then exit 0; fi

echo "Installing the SSH peers (openssh-server openssh-client python3-asyncssh python3-bcrypt python3-paramiko putty-tools dropbear-bin openssl curl softhsm2 opensc xauth krb5-kdc krb5-admin-server krb5-user libgssapi-krb5-2 golang-go golang-golang-x-crypto-dev tinysshd libjsch-java default-jdk-headless libssh-dev erlang-base erlang-ssh erlang-crypto erlang-public-key erlang-asn1) and g++ make..." >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends openssh-server openssh-client python3-asyncssh python3-bcrypt python3-paramiko putty-tools dropbear-bin openssl curl softhsm2 opensc xauth krb5-kdc krb5-admin-server krb5-user libgssapi-krb5-2 golang-go golang-golang-x-crypto-dev tinysshd libjsch-java default-jdk-headless libssh-dev erlang-base erlang-ssh erlang-crypto erlang-public-key erlang-asn1 g++ make >/dev/null
# The Debian package starts a system sshd where an init system runs; the tests start their own.
have_peers || { echo "The SSH peers are still missing after apt-get install." >&2; exit 1; }
