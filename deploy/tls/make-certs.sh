#!/usr/bin/env bash
# Certificates for the hub's TLS and mutual TLS, made with openssl.
#
#   make-certs.sh DIR                      a private CA (ca.pem, ca.key) and a server
#                                          certificate (server.pem, server.key) for
#                                          localhost, 127.0.0.1 and ::1, unless they exist
#   make-certs.sh DIR server [NAME...]     (re)issues the server certificate, adding
#                                          NAMEs (DNS names or IP addresses) as SANs
#   make-certs.sh DIR client PARTICIPANT   a client certificate for mutual TLS:
#                                          PARTICIPANT is partner:<id>, admin or finance;
#                                          writes client-<participant>.pem/.key
#
# A client certificate carries its participant as the URI SAN loyalty:<participant>
# (e.g. loyalty:partner:3); the hub (--tls_client_ca_file) requires it to match the
# owner of the API key sent with each call (docs/security.md). Private keys are mode
# 600. Validity: CA 10 years, server and client certificates 825 days (DAYS overrides).
set -euo pipefail

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[ $# -ge 1 ] || usage
DIR=$1
shift
CMD=${1:-init}
[ $# -ge 1 ] && shift
DAYS=${DAYS:-825}

mkdir -p "$DIR"
umask 077

# new_key FILE: an EC P-256 private key, mode 600.
new_key() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
    chmod 600 "$1"
}

make_ca() {
    [ -f "$DIR/ca.pem" ] && return 0
    new_key "$DIR/ca.key"
    openssl req -x509 -new -key "$DIR/ca.key" -sha256 -days 3650 \
        -subj "/O=Loyalty coalition/CN=Loyalty private CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$DIR/ca.pem"
    chmod 644 "$DIR/ca.pem"
}

# sign NAME SUBJECT EXTENSIONS: NAME.key (new) and NAME.pem signed by the CA.
sign() {
    local name=$1 subject=$2 ext=$3
    new_key "$DIR/$name.key"
    openssl req -new -key "$DIR/$name.key" -subj "$subject" -out "$DIR/$name.csr"
    openssl x509 -req -in "$DIR/$name.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" \
        -CAcreateserial -days "$DAYS" -sha256 -extfile <(printf '%s\n' "$ext") \
        -out "$DIR/$name.pem" 2>/dev/null
    rm -f "$DIR/$name.csr"
    chmod 644 "$DIR/$name.pem"
}

make_server() {
    local sans="DNS:localhost,IP:127.0.0.1,IP:::1" n
    for n in "$@"; do
        if [[ $n =~ ^[0-9.]+$ || $n == *:* ]]; then sans="$sans,IP:$n"; else sans="$sans,DNS:$n"; fi
    done
    sign server "/O=Loyalty coalition/CN=loyalty hub" "$(printf '%s\n' \
        "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature,keyEncipherment" \
        "extendedKeyUsage=serverAuth" \
        "subjectAltName=$sans")"
}

make_client() {
    local who=$1
    if ! [[ $who =~ ^(partner:[1-9][0-9]{0,18}|admin|finance)$ ]]; then
        echo "participant must be partner:<id>, admin or finance, got '$who'" >&2
        exit 2
    fi
    local file="client-${who//:/-}"
    sign "$file" "/O=Loyalty coalition/CN=$who" "$(printf '%s\n' \
        "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature" \
        "extendedKeyUsage=clientAuth" \
        "subjectAltName=URI:loyalty:$who")"
    echo "$DIR/$file.pem"
}

case $CMD in
init)
    make_ca
    [ -f "$DIR/server.pem" ] || make_server
    ;;
server)
    make_ca
    make_server "$@"
    ;;
client)
    [ $# -eq 1 ] || usage
    make_ca
    make_client "$1"
    ;;
*) usage ;;
esac
