/* Unit tests: target files and their users (pattern and CSV), password
 * specs (env:, file:, literal) that never leak into messages. */
#include "synth/config/target.h"
#include "synth/config/users.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char tmpdir[64];

static int setup_dir(void **state)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/synth-target-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int load_text(struct target *t, const char *text, struct synth_error *err)
{
    char path[256];
    write_file("t.yaml", text);
    snprintf(path, sizeof(path), "%s/t.yaml", tmpdir);
    return target_load(t, path, err);
}

/* The message with the temp dir replaced by "DIR", for comparisons. */
static const char *rel(const char *msg)
{
    static char out[SYNTH_ERROR_MSG_MAX];
    const char *p = strstr(msg, tmpdir);
    if (!p)
        return msg;
    snprintf(out, sizeof(out), "%.*sDIR%s", (int)(p - msg), msg, p + strlen(tmpdir));
    const char *q = strstr(out, tmpdir);
    if (q) { /* a second occurrence */
        static char out2[SYNTH_ERROR_MSG_MAX];
        snprintf(out2, sizeof(out2), "%.*sDIR%s", (int)(q - out), out, q + strlen(tmpdir));
        return out2;
    }
    return out;
}

static void pattern_target(void **state)
{
    struct target t;
    struct synth_error err = {{0}};
    setenv("SYNTH_TEST_PW", "s3cret", 1);
    int rc = load_text(&t,
                       "name: prod\nsip_domain: contoso.com\n"
                       "registrar:\n  host: sip.contoso.com\n  tls:\n    ca_file: ca.pem\n"
                       "    server_name: pool.contoso.com\n"
                       "users:\n  pattern: \"sip:user{n:03}@contoso.com\"\n  count: 3\n"
                       "  start: 7\n  password: env:SYNTH_TEST_PW\n",
                       &err);
    assert_int_equal(rc, 0);
    assert_string_equal(t.name, "prod");
    assert_int_equal(t.registrar.transport, SIP_TRANSPORT_TLS);
    assert_int_equal(t.registrar.port, 5061);
    assert_true(t.registrar.tls.verify);
    char want[256];
    snprintf(want, sizeof(want), "%s/ca.pem", tmpdir);
    assert_string_equal(t.registrar.tls.ca_file, want);
    assert_string_equal(t.registrar.tls.server_name, "pool.contoso.com");
    assert_false(t.has_edge);
    assert_null(target_endpoint_for(&t, ACCESS_EDGE));
    assert_int_equal(t.user_count, 3);
    assert_string_equal(t.users[0].uri, "sip:user007@contoso.com");
    assert_string_equal(t.users[2].uri, "sip:user009@contoso.com");
    assert_string_equal(t.users[2].auth_user, "user009");
    assert_string_equal(t.users[1].password, "s3cret");
    char vm[256];
    assert_int_equal(target_voicemail_uri(&t, &t.users[0], vm, sizeof(vm)), 0);
    assert_string_equal(vm, "sip:user007@contoso.com;opaque=app:voicemail");
    assert_int_equal(target_expand_uri(&t, "sip:{user}-vm@{domain}", &t.users[1], vm, 12),
                     SYNTH_ETOOBIG);
    target_free(&t);
    assert_null(t.users);
}

static void csv_target(void **state)
{
    struct target t;
    struct synth_error err = {{0}};
    write_file("pw.txt", "from-file\n");
    write_file("users.csv", "uri,auth_user,password\n"
                            "# a comment\n"
                            "sip:alice@contoso.com,CONTOSO\\alice,literal\r\n"
                            "\n"
                            "\"sip:bob@contoso.com\",,file:pw.txt\n"
                            "sip:carol@contoso.com,carol,\"with \"\"quotes\"\", and comma\"\n");
    int rc = load_text(&t,
                       "name: csv\nsip_domain: contoso.com\n"
                       "registrar: {host: 127.0.0.1, port: 5060, transport: udp}\n"
                       "users: {csv: users.csv}\n",
                       &err);
    assert_int_equal(rc, 0);
    assert_int_equal(t.registrar.transport, SIP_TRANSPORT_UDP);
    assert_int_equal(t.user_count, 3);
    assert_string_equal(t.users[0].auth_user, "CONTOSO\\alice");
    assert_string_equal(t.users[0].password, "literal");
    assert_string_equal(t.users[1].auth_user, "bob");
    assert_string_equal(t.users[1].password, "from-file");
    assert_string_equal(t.users[2].password, "with \"quotes\", and comma");
    target_free(&t);
}

struct bad_case {
    const char *yaml;
    const char *csv; /* written as users.csv when not NULL */
    const char *msg; /* DIR stands for the temp dir */
};

static void errors_name_file_line_key(void **state)
{
    static const char head[] = "name: x\nsip_domain: d\nregistrar: {host: h}\n";
    static const struct bad_case cases[] = {
        {"name: x\nsip_domain: d\nregistrar: {host: h, transport: sctp}\n"
         "users: {csv: users.csv}\n",
         NULL, "DIR/t.yaml:3: registrar.transport: expected udp, tcp or tls"},
        {"name: x\nsip_domain: d\nregistrar: {host: h, port: 99999}\nusers: {csv: u.csv}\n", NULL,
         "DIR/t.yaml:3: registrar.port: must be between 1 and 65535"},
        {"name: x\nsip_domain: d\nusers: {csv: u.csv}\n", NULL,
         "DIR/t.yaml:1: registrar: missing (required)"},
        {"name: x\nsip_domain: d\nregistrar: {host: h, address: pool1}\nusers: {csv: u.csv}\n",
         NULL, "DIR/t.yaml:3: registrar.address: expected an IPv4 or IPv6 address (host is the name)"},
        {"name: x\nsip_domain: d\ndiscover: {timeout: 0}\nusers: {csv: u.csv}\n", NULL,
         "DIR/t.yaml:3: discover.timeout: must be more than 0 (every wait has a deadline)"},
        {"name: x\nsip_domain: d\ndiscover: {dns: 1.2.3.4}\nusers: {csv: u.csv}\n", NULL,
         "DIR/t.yaml:3: discover: unknown key 'dns' (accepted: dns_servers, timeout, tls)"},
        {"name: x\nsip_domain: d\nregistrar: {host: h, transport: udp, tls: {verify: false}}\n"
         "users: {csv: u.csv}\n",
         NULL, "DIR/t.yaml:3: registrar.tls: only with transport: tls"},
        {"name: x\nsip_domain: d\nregistrar: {host: h, tls: {client_cert: c.pem}}\n"
         "users: {csv: u.csv}\n",
         NULL, "DIR/t.yaml:3: registrar.tls: client_cert and client_key go together"},
        {"name: x\nsip_domain: d\nregistrar: {host: h}\nusers: {pattern: \"sip:u@d\", count: 2, "
         "password: p}\n",
         NULL,
         "DIR/t.yaml:4: users.pattern: needs {n} where the user number goes (e.g. "
         "sip:user{n:04}@contoso.com)"},
        {"name: x\nsip_domain: d\nregistrar: {host: h}\nusers: {pattern: \"u{n}\", count: 2, "
         "password: p}\n",
         NULL,
         "DIR/t.yaml:4: users.pattern: user 1: 'u1' is not a SIP URI (must start with sip: or "
         "sips:)"},
        {"name: x\nsip_domain: d\nregistrar: {host: h}\nusers: {pattern: \"sip:u{n}@d\", count: 2, "
         "password: env:SYNTH_TEST_UNSET_VAR}\n",
         NULL, "DIR/t.yaml:4: users.password: environment variable SYNTH_TEST_UNSET_VAR is not set"},
        {"name: x\nsip_domain: d\nregistrar: {host: h}\nusers: {csv: u.csv, count: 3}\n", NULL,
         "DIR/t.yaml:4: users.count: not with csv: (the CSV holds the users)"},
        {"name: x\nsip_domain: d\nregistrar: {host: h}\nusers: {csv: u.csv}\n"
         "media: {codecs: [PCMU, G722, PCMU]}\n",
         "sip:a@d,a,p\n", "DIR/t.yaml:5: media.codecs[2]: PCMU is listed twice"},
        {"name: x\nsip_domain: d\nregistrar: {host: h}\nusers: {csv: u.csv}\n"
         "media: {codecs: PCMU}\n",
         "sip:a@d,a,p\n",
         "DIR/t.yaml:5: media.codecs: expected a list of PCMU, PCMA, G722 (in order of preference)"},
        {"name: x\nsip_domain: d\nregistrar: {host: h}\nusers: {csv: u.csv}\n"
         "media: {codecs: [PCMU, OPUS]}\n",
         "sip:a@d,a,p\n", "DIR/t.yaml:5: media.codecs[1]: expected PCMU, PCMA or G722"},
        {"name: x\nsip_domain: d\nregistrar: {host: h}\nusers: {count: 3}\n", NULL,
         "DIR/t.yaml:4: users: give either csv: FILE or pattern: with count and password"},
        {"name: x\nsip_domain: d\nregistrar: {host: h}\nusers: {csv: users.csv}\n",
         "sip:a@d,a,pw\nsip:b@d,b\n", "DIR/users.csv:2: password: missing (expected uri,auth_user,password)"},
        {"name: x\nsip_domain: d\nregistrar: {host: h}\nusers: {csv: users.csv}\n",
         "sip:a@d,a,pw,extra\n",
         "DIR/users.csv:1: more than 3 fields (expected uri,auth_user,password)"},
        {"name: x\nsip_domain: d\nregistrar: {host: h}\nusers: {csv: users.csv}\n",
         "uri,auth,password\n\nalice@d,a,pw\n",
         "DIR/users.csv:3: uri: must start with sip: or sips:"},
        {"name: x\nsip_domain: d\nregistrar: {host: h}\nusers: {csv: users.csv}\n",
         "sip:a@d,a,\"unclosed\n", "DIR/users.csv:1: password: quote not closed"},
        {"name: x\nsip_domain: d\nregistrar: {host: h}\nusers: {csv: users.csv}\n",
         "sip:a@d,a,file:missing.txt\n",
         "DIR/users.csv:1: password: cannot read DIR/missing.txt: No such file or directory"},
        {"name: x\nsip_domain: d\nregistrar: {host: h}\nusers: {csv: users.csv}\n", "# none\n",
         "DIR/users.csv: no users in the file"},
        {"name: x\nsip_domain: d\nregistrar: {host: h}\nusers: {csv: nothere.csv}\n", NULL,
         "DIR/t.yaml:4: users.csv: cannot read DIR/nothere.csv: No such file or directory"},
    };
    (void)head;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct target t;
        struct synth_error err = {{0}};
        if (cases[i].csv)
            write_file("users.csv", cases[i].csv);
        int rc = load_text(&t, cases[i].yaml, &err);
        if (rc == 0 || strcmp(rel(err.msg), cases[i].msg) != 0)
            fail_msg("case %zu: rc %d\n  got:  %s\n  want: %s", i, rc, rel(err.msg),
                     cases[i].msg);
        assert_null(t.users);
    }
}

static void secrets_never_in_messages(void **state)
{
    struct target t;
    struct synth_error err = {{0}};
    /* A literal password that is too long, a bad user URI next to a password:
     * the messages name the field, never the value. */
    int rc = load_text(&t,
                       "name: x\nsip_domain: d\nregistrar: {host: h}\n"
                       "users: {pattern: \"sip:u{n}@d\", count: 2, password: \"hunter2\\u0001\"}\n",
                       &err);
    assert_int_not_equal(rc, 0);
    assert_null(strstr(err.msg, "hunter2"));
    write_file("users.csv", "sip:a b@d,a,hunter2\n");
    rc = load_text(&t, "name: x\nsip_domain: d\nregistrar: {host: h}\nusers: {csv: users.csv}\n",
                   &err);
    assert_int_not_equal(rc, 0);
    assert_null(strstr(err.msg, "hunter2"));
    write_file("empty.txt", "\n");
    write_file("users.csv", "sip:a@d,a,file:empty.txt\n");
    rc = load_text(&t, "name: x\nsip_domain: d\nregistrar: {host: h}\nusers: {csv: users.csv}\n",
                   &err);
    assert_int_equal(rc, SYNTH_ECONFIG);
    assert_non_null(strstr(err.msg, "the first line is empty"));
}

static void patterns(void **state)
{
    char out[64];
    assert_int_equal(users_pattern_expand("sip:u{n:04}@d", 42, out, sizeof(out)), 0);
    assert_string_equal(out, "sip:u0042@d");
    assert_int_equal(users_pattern_expand("{n}-{n:02}", 7, out, sizeof(out)), 0);
    assert_string_equal(out, "7-07");
    assert_null(users_pattern_check("sip:{n}@d"));
    assert_non_null(users_pattern_check("sip:{x}@d"));
    assert_non_null(users_pattern_check("sip:{n:4}@d"));
    assert_non_null(users_pattern_check("sip:{n}}@d"));
    assert_int_equal(users_uri_user("sip:alice@contoso.com;gruu", out, sizeof(out)), 0);
    assert_string_equal(out, "alice");
    assert_null(users_uri_check("sips:alice@contoso.com"));
    assert_non_null(users_uri_check("sip:@contoso.com"));
    assert_non_null(users_uri_check("sip:alice"));
}

static void discover_section(void **state)
{
    struct target t;
    struct synth_error err = {{0}};
    int rc = load_text(&t,
                       "name: x\nsip_domain: contoso.com\n"
                       "discover: {dns_servers: \"127.0.0.1:5353\", timeout: 2s}\n"
                       "users: {pattern: \"sip:u{n}@contoso.com\", count: 1, password: p}\n",
                       &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    assert_true(t.discover.enabled);
    assert_true(t.registrar_by_dns);
    assert_string_equal(t.discover.dns_servers, "127.0.0.1:5353");
    assert_int_equal(t.discover.timeout_ms, 2000);
    assert_true(t.discover.tls.verify);
    /* Until discovery fills it, no registrar to send users to. */
    assert_null(target_endpoint_for(&t, ACCESS_INTERNAL));
    assert_null(target_endpoint_for(&t, ACCESS_EDGE));
    target_free(&t);
}

static void lab_written_target_loads(void **state)
{
    /* The shape `synth lab --write-target` writes, with its extra lab: section. */
    struct target t;
    struct synth_error err = {{0}};
    int rc = load_text(&t,
                       "name: lab\nsip_domain: \"lab.synth.test\"\nregistrar:\n  host: \"127.0.0.1\"\n"
                       "  port: 40000\n  transport: tls\n  tls:\n    ca_file: \"/x/ca.pem\"\n"
                       "    server_name: \"fe.lab.synth.test\"\n"
                       "edge:\n  host: \"127.0.0.1\"\n  port: 40001\n  transport: tls\n"
                       "  tls:\n    ca_file: \"/x/ca.pem\"\n    server_name: \"sip.lab.synth.test\"\n"
                       "voicemail_uri: \"sip:{user}@{domain};opaque=app:voicemail\"\n"
                       "users:\n  pattern: \"sip:user{n:04}@lab.synth.test\"\n  password: \"synth-lab\"\n"
                       "  count: 100\nlab:\n  host: \"127.0.0.1\"\n  udp_port: 1\n",
                       &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(t.user_count, 100);
    assert_string_equal(t.users[99].uri, "sip:user0100@lab.synth.test");
    assert_string_equal(t.registrar.tls.ca_file, "/x/ca.pem");
    assert_true(t.has_edge);
    assert_int_equal(t.edge.port, 40001);
    assert_string_equal(t.edge.tls.server_name, "sip.lab.synth.test");
    assert_ptr_equal(target_endpoint_for(&t, ACCESS_EDGE), &t.edge);
    assert_ptr_equal(target_endpoint_for(&t, ACCESS_INTERNAL), &t.registrar);
    target_free(&t);
}

static void media_policy(void **state)
{
    struct target t;
    struct synth_error err = {{0}};
    int rc = load_text(&t,
                       "name: x\nsip_domain: d\nregistrar: {host: h}\n"
                       "users: {pattern: \"sip:u{n}@d\", count: 1, password: p}\n"
                       "media:\n  srtp: optional\n  client_ports: {audio: 20000-20999}\n"
                       "  server_ports: {video: 57000-65535}\n  dscp: {appsharing: 26}\n"
                       "  prompt: hello.wav\n  codecs: [G722, PCMA]\n",
                       &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(t.media.codec_count, 2);
    assert_int_equal(t.media.codecs[0], 9);
    assert_int_equal(t.media.codecs[1], 8);
    assert_int_equal(t.media.srtp, TARGET_SRTP_OPTIONAL);
    assert_int_equal(t.media.client_ports[PORT_RANGE_AUDIO].first, 20000);
    assert_int_equal(t.media.client_ports[PORT_RANGE_VIDEO].first, 58000); /* default kept */
    assert_int_equal(t.media.server_ports[PORT_RANGE_VIDEO].first, 57000);
    assert_int_equal(t.media.server_ports[PORT_RANGE_AUDIO].last, 57500);
    assert_int_equal(t.media.dscp[PORT_RANGE_AUDIO], 46);
    assert_int_equal(t.media.dscp[PORT_RANGE_APPSHARING], 26);
    assert_non_null(strstr(t.media.prompt_wav, "/hello.wav"));
    target_free(&t);

    rc = load_text(&t,
                   "name: x\nsip_domain: d\nregistrar: {host: h}\n"
                   "users: {pattern: \"sip:u{n}@d\", count: 1, password: p}\n"
                   "media:\n  client_ports: {audio: 50079-50040}\n",
                   &err);
    assert_int_equal(rc, SYNTH_ECONFIG);
    assert_string_equal(rel(err.msg), "DIR/t.yaml:6: media.client_ports.audio: expected a port "
                                      "range such as 50040-50079");
    rc = load_text(&t,
                   "name: x\nsip_domain: d\nregistrar: {host: h}\n"
                   "users: {pattern: \"sip:u{n}@d\", count: 1, password: p}\n"
                   "media: {srtp: maybe}\n",
                   &err);
    assert_string_equal(rel(err.msg), "DIR/t.yaml:5: media.srtp: expected required, optional or off");
    rc = load_text(&t,
                   "name: x\nsip_domain: d\nregistrar: {host: h}\n"
                   "users: {pattern: \"sip:u{n}@d\", count: 1, password: p}\n"
                   "media: {codecs: [PCMU, G729]}\n",
                   &err);
    assert_string_equal(rel(err.msg), "DIR/t.yaml:5: media.codecs[1]: expected PCMU, PCMA or G722");
    rc = load_text(&t,
                   "name: x\nsip_domain: d\nregistrar: {host: h}\n"
                   "users: {pattern: \"sip:u{n}@d\", count: 1, password: p}\n",
                   &err);
    assert_int_equal(rc, 0);
    assert_int_equal(t.media.srtp, TARGET_SRTP_REQUIRED);
    assert_int_equal(t.media.dscp[PORT_RANGE_VIDEO], 34);
    assert_int_equal(t.media.codec_count, 2); /* default PCMU, PCMA */
    assert_int_equal(t.media.codecs[0], 0);
    target_free(&t);
}

/* checks: the endpoints synth check inspects, their defaults and errors. */
/* media: turn: a secret from the environment, defaults, an empty section. */
/* auth: ntlm|digest|auto per endpoint (issue #7); auto when absent. */
static void auth_policy(void **state)
{
    (void)state;
    struct target t;
    struct synth_error err = {{0}};
    int rc = load_text(&t,
                       "name: x\nsip_domain: d\nregistrar: {host: h, auth: ntlm}\n"
                       "edge: {host: e, auth: digest}\n"
                       "users: {pattern: \"sip:u{n}@d\", count: 1, password: p}\n",
                       &err);
    assert_int_equal(rc, 0);
    assert_int_equal(t.registrar.auth, TARGET_AUTH_NTLM);
    assert_int_equal(t.edge.auth, TARGET_AUTH_DIGEST);
    assert_string_equal(target_auth_name(t.registrar.auth), "ntlm");
    target_free(&t);
    rc = load_text(&t,
                   "name: x\nsip_domain: d\nregistrar: {host: h}\n"
                   "users: {pattern: \"sip:u{n}@d\", count: 1, password: p}\n",
                   &err);
    assert_int_equal(rc, 0);
    assert_int_equal(t.registrar.auth, TARGET_AUTH_AUTO);
    target_free(&t);
    rc = load_text(&t,
                   "name: x\nsip_domain: d\nregistrar: {host: h, auth: kerberos}\n"
                   "users: {pattern: \"sip:u{n}@d\", count: 1, password: p}\n",
                   &err);
    assert_int_equal(rc, SYNTH_ECONFIG);
    assert_string_equal(rel(err.msg), "DIR/t.yaml:3: registrar.auth: expected auto, digest or ntlm");
}

/* edge.turn: standard|ms-turn (issue #7) applies to media.turn; standard
 * when absent; only under edge:. */
static void edge_turn_dialect(void **state)
{
    (void)state;
    struct target t;
    struct synth_error err = {{0}};
    static const char users[] = "users: {pattern: \"sip:u{n}@d\", count: 1, password: p}\n";
    char text[512];
    snprintf(text, sizeof(text), "name: x\nsip_domain: d\nregistrar: {host: h}\n"
             "edge: {host: e, turn: ms-turn}\n%s", users);
    assert_int_equal(load_text(&t, text, &err), 0);
    assert_true(t.media.turn.ms_turn);
    target_free(&t);
    snprintf(text, sizeof(text), "name: x\nsip_domain: d\nregistrar: {host: h}\n"
             "edge: {host: e}\n%s", users);
    assert_int_equal(load_text(&t, text, &err), 0);
    assert_false(t.media.turn.ms_turn);
    target_free(&t);
    snprintf(text, sizeof(text), "name: x\nsip_domain: d\nregistrar: {host: h}\n"
             "edge: {host: e, turn: msturn}\n%s", users);
    assert_int_equal(load_text(&t, text, &err), SYNTH_ECONFIG);
    assert_string_equal(rel(err.msg), "DIR/t.yaml:4: edge.turn: expected standard or ms-turn");
    snprintf(text, sizeof(text), "name: x\nsip_domain: d\nregistrar: {host: h}\n"
             "edge: {host: e, turn: ms-turn}\n%smedia:\n  turn: {host: 127.0.0.1, "
             "transport: tcp, username: u, password: p}\n", users);
    /* Over TCP: [MS-TURN] 2.1 framing (the A/V Edge's TCP 443). */
    assert_int_equal(load_text(&t, text, &err), 0);
    assert_true(t.media.turn.ms_turn && t.media.turn.tcp);
    assert_true(t.media.turn.pseudo_tls); /* its default over TCP */
    target_free(&t);
    snprintf(text, sizeof(text), "name: x\nsip_domain: d\nregistrar: {host: h}\n"
             "edge: {host: e, turn: ms-turn}\n%smedia:\n  turn: {host: 127.0.0.1, "
             "transport: tcp, pseudo_tls: false, username: u, password: p}\n", users);
    assert_int_equal(load_text(&t, text, &err), 0);
    assert_false(t.media.turn.pseudo_tls);
    target_free(&t);
    /* Only an MS-TURN relay over TCP takes the handshake. */
    snprintf(text, sizeof(text), "name: x\nsip_domain: d\nregistrar: {host: h}\n"
             "edge: {host: e, turn: ms-turn}\n%smedia:\n  turn: {host: 127.0.0.1, "
             "pseudo_tls: true, username: u, password: p}\n", users);
    assert_int_equal(load_text(&t, text, &err), SYNTH_ECONFIG);
    assert_non_null(strstr(err.msg, "t.yaml:7: media.turn.pseudo_tls: only with transport: tcp"));
    snprintf(text, sizeof(text), "name: x\nsip_domain: d\nregistrar: {host: h}\n"
             "%smedia:\n  turn: {host: 127.0.0.1, transport: tcp, pseudo_tls: true, "
             "username: u, password: p}\n", users);
    assert_int_equal(load_text(&t, text, &err), SYNTH_ECONFIG);
    assert_non_null(strstr(err.msg, "edge.turn: ms-turn"));
    snprintf(text, sizeof(text), "name: x\nsip_domain: d\nregistrar: {host: h, turn: ms-turn}\n%s",
             users);
    assert_int_equal(load_text(&t, text, &err), SYNTH_ECONFIG);
    assert_non_null(strstr(err.msg, "t.yaml:3: registrar.turn: only in edge:"));
}

static void turn_section(void **state)
{
    struct target t;
    struct synth_error err = {{0}};
    static const char head[] = "name: x\nsip_domain: d\nregistrar: {host: h}\n"
                               "users: {pattern: \"sip:u{n}@d\", count: 1, password: p}\n";
    char text[1024];
    setenv("SYNTH_TEST_TURN_PW", "relay-secret", 1);
    snprintf(text, sizeof(text), "%smedia:\n  turn: {host: 127.0.0.1, username: synth, "
             "password: env:SYNTH_TEST_TURN_PW, transport: tcp, realm: r}\n", head);
    int rc = load_text(&t, text, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    assert_string_equal(t.media.turn.host, "127.0.0.1");
    assert_int_equal(t.media.turn.port, 3478);
    assert_true(t.media.turn.tcp);
    assert_string_equal(t.media.turn.password, "relay-secret");
    assert_string_equal(t.media.turn.realm, "r");
    target_free(&t);
    assert_string_equal(t.media.turn.password, "");
    snprintf(text, sizeof(text), "%smedia:\n  turn:\n", head);
    assert_int_equal(load_text(&t, text, &err), 0);
    assert_string_equal(t.media.turn.host, "");
    target_free(&t);
    snprintf(text, sizeof(text), "%smedia:\n  turn: {host: 127.0.0.1, username: u, "
             "password: env:SYNTH_NO_SUCH_VAR_42}\n", head);
    assert_int_equal(load_text(&t, text, &err), SYNTH_ECONFIG);
    assert_null(strstr(err.msg, "relay-secret"));
    snprintf(text, sizeof(text), "%smedia:\n  turn: {host: 127.0.0.1, password: x}\n", head);
    assert_int_equal(load_text(&t, text, &err), SYNTH_ECONFIG);
    assert_non_null(strstr(err.msg, "username"));
}

/* media.turn.credentials: mras (issue #7): no username or password, the
 * MRAS URI's default and explicit form, location, mras_timeout; the keys of
 * one kind refused under the other, each naming file:line:field. */
static void turn_mras_credentials(void **state)
{
    (void)state;
    struct target t;
    struct synth_error err = {{0}};
    static const char head[] = "name: x\nsip_domain: contoso.com\nregistrar: {host: pool.contoso.com}\n"
                               "users: {pattern: \"sip:u{n}@contoso.com\", count: 1, password: p}\n";
    char text[1024], uri[TARGET_URI_MAX];

    snprintf(text, sizeof(text), "%smedia:\n  turn: {credentials: mras}\n", head);
    int rc = load_text(&t, text, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(t.media.turn.credentials, TARGET_TURN_CREDS_MRAS);
    assert_true(target_turn_enabled(&t.media.turn));
    assert_string_equal(t.media.turn.host, "");
    assert_int_equal(t.media.turn.port, 0); /* the MRAS answer's */
    assert_int_equal(t.media.turn.location, TARGET_TURN_LOCATION_AUTO);
    assert_int_equal(t.media.turn.mras_timeout_ms, TARGET_MRAS_TIMEOUT_MS);
    assert_int_equal(target_mras_uri(&t, uri, sizeof(uri)), 0);
    assert_string_equal(uri, "sip:pool.contoso.com@contoso.com;gruu;opaque=srvr:MRAS");
    assert_int_equal(target_mras_uri(&t, uri, 20), SYNTH_ETOOBIG);
    target_free(&t);

    snprintf(text, sizeof(text), "%smedia:\n  turn:\n    credentials: mras\n    host: 192.0.2.7\n"
             "    mras_uri: \"sip:pool.contoso.com@contoso.com;gruu;opaque=srvr:MRAS:Y2Vu\"\n"
             "    location: internet\n    mras_timeout: 2s\n", head);
    rc = load_text(&t, text, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    assert_string_equal(t.media.turn.host, "192.0.2.7");
    assert_int_equal(t.media.turn.port, 3478);
    assert_int_equal(t.media.turn.location, TARGET_TURN_LOCATION_INTERNET);
    assert_int_equal(t.media.turn.mras_timeout_ms, 2000);
    assert_int_equal(target_mras_uri(&t, uri, sizeof(uri)), 0);
    assert_string_equal(uri, "sip:pool.contoso.com@contoso.com;gruu;opaque=srvr:MRAS:Y2Vu");
    target_free(&t);

    /* A static relay stays as it was; no relay at all is not enabled. */
    snprintf(text, sizeof(text), "%smedia:\n  turn: {host: 127.0.0.1, username: u, password: p}\n",
             head);
    assert_int_equal(load_text(&t, text, &err), 0);
    assert_int_equal(t.media.turn.credentials, TARGET_TURN_CREDS_STATIC);
    target_free(&t);
    snprintf(text, sizeof(text), "%smedia:\n  turn:\n", head);
    assert_int_equal(load_text(&t, text, &err), 0);
    assert_false(target_turn_enabled(&t.media.turn));
    target_free(&t);

    static const struct {
        const char *turn, *msg;
    } bad[] = {
        {"{credentials: ldap}", "DIR/t.yaml:6: media.turn.credentials: expected static or mras"},
        {"{credentials: mras, password: p}",
         "DIR/t.yaml:6: media.turn.password: not with credentials: mras (each user gets its own "
         "from the Front End's MRAS)"},
        {"{credentials: mras, username: u}",
         "DIR/t.yaml:6: media.turn.username: not with credentials: mras (each user gets its own "
         "from the Front End's MRAS)"},
        {"{host: 127.0.0.1, username: u, password: p, mras_uri: \"sip:a@b\"}",
         "DIR/t.yaml:6: media.turn.mras_uri: only with credentials: mras"},
        {"{host: 127.0.0.1, credentials: static, username: u, password: p, location: internet}",
         "DIR/t.yaml:6: media.turn.location: only with credentials: mras"},
        {"{credentials: mras, location: dmz}",
         "DIR/t.yaml:6: media.turn.location: expected auto, internet or intranet"},
        {"{credentials: mras, mras_uri: \"http://x\"}",
         "DIR/t.yaml:6: media.turn.mras_uri: expected a SIP URI (sip:...), as in-band "
         "provisioning gives it"},
        {"{credentials: mras, mras_timeout: 0}",
         "DIR/t.yaml:6: media.turn.mras_timeout: must be more than 0 (every wait has a "
         "deadline)"},
        {"{credentials: mras, mras_timeout: 5}",
         NULL}, /* a duration without a unit: the loader's own message */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "%smedia:\n  turn: %s\n", head, bad[i].turn);
        assert_int_equal(load_text(&t, text, &err), SYNTH_ECONFIG);
        if (bad[i].msg)
            assert_string_equal(rel(err.msg), bad[i].msg);
        else
            assert_non_null(strstr(err.msg, "t.yaml:6: media.turn.mras_timeout"));
    }
}

static void checks_list(void **state)
{
    struct target t;
    struct synth_error err = {{0}};
    static const char users[] = "users: {pattern: \"sip:u{n}@d\", count: 1, password: p}\n";
    char text[1024];

    snprintf(text, sizeof(text),
             "name: x\nsip_domain: d\nregistrar: {host: h}\nchecks:\n"
             "  - {name: um, role: um, host: um01.d, mtls: true, ca_file: ca.pem,\n"
             "     names: [um01.d, um.d], warn_days: 45, crit_days: 10}\n"
             "  - {name: web, role: web, host: 127.0.0.1, port: 4443, server_name: webext.d}\n%s",
             users);
    assert_int_equal(load_text(&t, text, &err), 0);
    assert_int_equal(t.check_count, 2);
    const struct target_check *um = &t.checks[0], *web = &t.checks[1];
    assert_string_equal(um->name, "um");
    assert_int_equal(um->role, TARGET_ROLE_UM);
    assert_int_equal(um->port, 5061);
    assert_string_equal(um->tls.server_name, "um01.d"); /* the host by default */
    assert_string_equal(rel(um->tls.ca_file), "DIR/ca.pem");
    assert_true(um->mtls);
    assert_int_equal(um->name_count, 2);
    assert_string_equal(um->names[1], "um.d");
    assert_int_equal(um->warn_days, 45);
    assert_int_equal(um->crit_days, 10);
    assert_int_equal(web->port, 4443);
    assert_string_equal(web->tls.server_name, "webext.d");
    assert_false(web->mtls);
    assert_int_equal(web->name_count, 0);
    assert_string_equal(target_role_name(web->role), "web");
    target_free(&t);

    static const struct {
        const char *checks, *msg;
    } bad[] = {
        {"  - {name: um, role: voicemail, host: h}\n",
         "DIR/t.yaml:5: checks[0].role: expected registrar, edge, um or web"},
        {"  - {name: um, host: h}\n", "DIR/t.yaml:5: checks[0].role: missing (required)"},
        {"  - {name: um, role: um, host: h, client_cert: c.pem}\n",
         "DIR/t.yaml:5: checks[0]: client_cert and client_key go together"},
        {"  - {name: um, role: um, host: h, warn_days: 5, crit_days: 10}\n",
         "DIR/t.yaml:5: checks[0].crit_days: must not exceed warn_days (5)"},
        {"  - {name: um, role: um, host: h}\n  - {name: um, role: edge, host: e}\n",
         "DIR/t.yaml:6: checks[1].name: 'um' is already the name of checks[0]"},
        {"  - {name: um, role: um, host: h, names: []}\n",
         "DIR/t.yaml:5: checks[0].names: expected a list of host names"},
        {"  - {name: um, role: um, host: h, sni: x}\n", NULL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "name: x\nsip_domain: d\nregistrar: {host: h}\nchecks:\n%s%s",
                 bad[i].checks, users);
        assert_int_equal(load_text(&t, text, &err), SYNTH_ECONFIG);
        if (bad[i].msg)
            assert_string_equal(rel(err.msg), bad[i].msg);
        else
            assert_non_null(strstr(err.msg, "checks[0]: unknown key 'sni'"));
    }
    snprintf(text, sizeof(text), "name: x\nsip_domain: d\nregistrar: {host: h}\nchecks: {}\n%s",
             users);
    assert_int_equal(load_text(&t, text, &err), SYNTH_ECONFIG);
    assert_non_null(strstr(err.msg, "checks: expected a list"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pattern_target),
        cmocka_unit_test(csv_target),
        cmocka_unit_test(discover_section),
        cmocka_unit_test(errors_name_file_line_key),
        cmocka_unit_test(secrets_never_in_messages),
        cmocka_unit_test(patterns),
        cmocka_unit_test(lab_written_target_loads),
        cmocka_unit_test(media_policy),
        cmocka_unit_test(auth_policy),
        cmocka_unit_test(edge_turn_dialect),
        cmocka_unit_test(turn_section),
        cmocka_unit_test(turn_mras_credentials),
        cmocka_unit_test(checks_list),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
