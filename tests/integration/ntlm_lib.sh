# Helpers of the NTLM tests that check synth with python3-ntlm-auth
# (test_ntlm_peer.sh, test_ntlm_register.sh). Sourced after lib.sh.

PY=/usr/bin/python3

# ntlm_python_setup: fails unless Debian's python3-ntlm-auth is there, and
# writes $T/openssl.cnf: Debian's Python takes MD4 from OpenSSL, which keeps
# it in the legacy provider; this configuration, for the Python side only
# (OPENSSL_CONF), turns that on. synth loads its own.
ntlm_python_setup() {
    "$PY" -c 'import ntlm_auth' 2>/dev/null || fail "python3-ntlm-auth is not installed (scripts/setup.sh --tests)"
    cat > "$T/openssl.cnf" <<'CNF'
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
legacy = legacy_sect
[default_sect]
activate = 1
[legacy_sect]
activate = 1
CNF
}
