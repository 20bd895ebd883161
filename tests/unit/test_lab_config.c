/* Unit tests: the lab configuration file and the --fault knobs, which accept
 * the same values by the same code. */
#include "synth/lab/lab_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static int parse(struct lab_config *c, const char *text, struct synth_error *err)
{
    lab_config_defaults(c);
    return lab_config_load_buffer(c, "lab.yaml", text, strlen(text), err);
}

static void defaults_follow_domain(void **state)
{
    struct lab_config c;
    struct synth_error err = {{0}};
    lab_config_defaults(&c);
    assert_string_equal(c.domain, "lab.synth.test");
    assert_string_equal(c.fe_cert.cn, "fe.lab.synth.test");
    assert_string_equal(c.um_cert.san[0], "um.lab.synth.test");
    assert_int_equal(c.user_count, 100);
    assert_int_equal(c.um_max_message_ms, 60000);

    assert_int_equal(parse(&c, "domain: contoso.com\nusers: 12\ntls_port: 15061\n", &err), 0);
    assert_string_equal(c.fe_cert.cn, "fe.contoso.com");
    assert_string_equal(c.um_cert.cn, "um.contoso.com");
    assert_int_equal(c.user_count, 12);
    assert_int_equal(c.tls_port, 15061);
}

static void turn_keys(void **state)
{
    struct lab_config c;
    struct synth_error err = {{0}};
    lab_config_defaults(&c);
    assert_int_equal(c.turn_relay_first, 61000);
    assert_int_equal(c.turn_relay_last, 65535);
    assert_string_equal(c.turn_realm, "lab.synth.test");
    assert_int_equal(parse(&c, "domain: contoso.com\nturn_port: 3478\n"
                               "turn_relay_ports: 50000-59999\nturn_user: av\n"
                               "turn_password: s3cret\nturn_user_quota: 2\n"
                               "turn_nonce_lifetime: 2s\nturn_dialect: ms-turn\n"
                               "faults: {turn_refuse_allocate: 508, turn_drop_relayed: true}\n",
                           &err),
                     0);
    assert_int_equal(c.turn_port, 3478);
    assert_int_equal(c.turn_relay_first, 50000);
    assert_int_equal(c.turn_relay_last, 59999);
    assert_string_equal(c.turn_realm, "contoso.com");
    assert_string_equal(c.turn_user, "av");
    assert_string_equal(c.turn_password, "s3cret");
    assert_int_equal(c.turn_user_quota, 2);
    assert_int_equal(c.turn_nonce_lifetime_ms, 2000);
    assert_true(c.turn_msturn);
    assert_int_equal(c.faults.turn_refuse_allocate, 508);
    assert_true(c.faults.turn_drop_relayed);
    assert_int_not_equal(parse(&c, "turn_dialect: msturn\n", &err), 0);
    assert_non_null(strstr(err.msg, "lab.yaml:1: turn_dialect: expected standard or ms-turn"));
    assert_int_not_equal(lab_config_set_fault(&c, "turn_refuse_allocate=500", &err), 0);
    assert_non_null(strstr(err.msg, "486 or 508"));
    assert_int_equal(lab_config_set_fault(&c, "turn_refuse_allocate=486", &err), 0);
    assert_int_equal(c.faults.turn_refuse_allocate, 486);
    assert_int_equal(lab_config_set_fault(&c, "max_call_rate=40", &err), 0);
    assert_int_equal(c.faults.max_call_rate, 40);
    assert_int_not_equal(lab_config_set_fault(&c, "max_call_rate=fast", &err), 0);
    assert_non_null(strstr(err.msg, "calls per second"));
    assert_int_not_equal(parse(&c, "turn_relay_ports: 9-\n", &err), 0);
    /* MRAS for users (issue #7): the lab's target without a TURN password,
     * and the Front End refusing users. */
    lab_config_defaults(&c);
    assert_false(c.turn_mras_credentials);
    assert_false(c.faults.mras_refuse_users);
    assert_int_equal(parse(&c, "turn_credentials: mras\nfaults: {mras_refuse_users: true}\n",
                           &err),
                     0);
    assert_true(c.turn_mras_credentials);
    assert_true(c.faults.mras_refuse_users);
    assert_int_not_equal(parse(&c, "turn_credentials: kerberos\n", &err), 0);
    assert_non_null(strstr(err.msg, "lab.yaml:1: turn_credentials: expected static or mras"));
    assert_int_equal(lab_config_set_fault(&c, "mras_refuse_users=0", &err), 0);
    assert_false(c.faults.mras_refuse_users);
    assert_int_equal(parse(&c, "mras_max_duration: 2m\n", &err), 0);
    assert_int_equal(c.mras_max_duration_min, 2);
    assert_int_not_equal(parse(&c, "mras_max_duration: 90s\n", &err), 0);
    assert_non_null(strstr(err.msg, "lab.yaml:1: mras_max_duration: whole minutes"));
    assert_int_not_equal(lab_config_set_fault(&c, "mras_refuse_users=maybe", &err), 0);
    assert_non_null(strstr(err.msg, "mras_refuse_users"));
    assert_int_equal(lab_config_set_fault(&c, "mras_empty_users=1", &err), 0);
    assert_true(c.faults.mras_empty_users);
    assert_int_equal(lab_config_set_fault(&c, "mras_silent_users=true", &err), 0);
    assert_true(c.faults.mras_silent_users);
}

static void auth_setting(void **state)
{
    struct lab_config c;
    struct synth_error err = {{0}};
    lab_config_defaults(&c);
    assert_int_equal(c.auth, LAB_AUTH_DIGEST);
    assert_int_equal(parse(&c, "auth: ntlm\n", &err), 0);
    assert_int_equal(c.auth, LAB_AUTH_NTLM);
    assert_int_equal(parse(&c, "auth: digest\n", &err), 0);
    assert_int_equal(c.auth, LAB_AUTH_DIGEST);
    /* Kerberos is not something the lab can offer: named with the choices. */
    assert_int_not_equal(parse(&c, "users: 3\nauth: kerberos\n", &err), 0);
    assert_non_null(strstr(err.msg, ":2:"));
    assert_non_null(strstr(err.msg, "digest"));
    assert_non_null(strstr(err.msg, "ntlm"));
}

static void threads_setting(void **state)
{
    struct lab_config c;
    struct synth_error err = {{0}};
    (void)state;
    lab_config_defaults(&c);
    assert_false(c.threads_per_server);
    assert_int_equal(parse(&c, "threads: per-server\n", &err), 0);
    assert_true(c.threads_per_server);
    assert_int_equal(parse(&c, "threads: one\n", &err), 0);
    assert_false(c.threads_per_server);
    assert_int_not_equal(parse(&c, "users: 3\nthreads: 2\n", &err), 0);
    assert_non_null(strstr(err.msg, ":2:"));
    assert_non_null(strstr(err.msg, "per-server"));
}

static void um_cert_without_fqdn_in_cn(void **state)
{
    /* The field failure: the UM's FQDN only in the SAN list. */
    struct lab_config c;
    struct synth_error err = {{0}};
    assert_int_equal(parse(&c,
                           "um_cert:\n  cn: Exchange UM\n  san: [um.lab.synth.test, "
                           "um01.lab.synth.test]\num_max_message: 2m\n",
                           &err),
                     0);
    assert_string_equal(c.um_cert.cn, "Exchange UM");
    assert_int_equal(c.um_cert.san_count, 2);
    assert_string_equal(c.um_cert.san[1], "um01.lab.synth.test");
    assert_int_equal(c.um_max_message_ms, 120000);
}

static void faults_in_file_and_flags(void **state)
{
    struct lab_config c;
    struct synth_error err = {{0}};
    assert_int_equal(parse(&c,
                           "faults:\n  register_reject: 503\n  register_retry_after_s: 30\n"
                           "  answer_delay_ms: 1.5s\n  never_answer: true\n",
                           &err),
                     0);
    assert_int_equal(c.faults.register_reject, 503);
    assert_int_equal(c.faults.register_retry_after_s, 30);
    assert_int_equal(c.faults.answer_delay_ms, 1500);
    assert_true(c.faults.never_answer);

    lab_config_defaults(&c);
    assert_int_equal(lab_config_set_fault(&c, "bye_after_ms=100", &err), 0);
    assert_int_equal(c.faults.bye_after_ms, 100);
    assert_int_equal(lab_config_set_fault(&c, "answer_delay_ms=2s", &err), 0);
    assert_int_equal(c.faults.answer_delay_ms, 2000);
    assert_int_equal(lab_config_set_fault(&c, "register_reject=403", &err), 0);
    assert_int_equal(c.faults.register_reject, 403);
    assert_int_equal(lab_config_set_fault(&c, "never_answer=false", &err), 0);
    assert_false(c.faults.never_answer);
    assert_int_equal(lab_config_set_fault(&c, "um_cert_cn=um01", &err), 0);
    assert_string_equal(c.faults.um_cert_cn, "um01");
    assert_int_equal(parse(&c, "faults:\n  um_cert_cn: exchange01\n", &err), 0);
    assert_string_equal(c.faults.um_cert_cn, "exchange01");
    /* The UCWA web side's knobs, in seconds. */
    assert_int_equal(lab_config_set_fault(&c, "proxy_idle_timeout_s=960", &err), 0);
    assert_int_equal(c.faults.proxy_idle_timeout_s, 960);
    assert_int_equal(lab_config_set_fault(&c, "ucwa_app_expiry_s=5m", &err), 0);
    assert_int_equal(c.faults.ucwa_app_expiry_s, 300);
    assert_int_equal(lab_config_set_fault(&c, "ucwa_token_expiry_s=2", &err), 0);
    assert_int_equal(c.faults.ucwa_token_expiry_s, 2);
    assert_int_equal(lab_config_set_fault(&c, "ucwa_redirect=true", &err), 0);
    assert_true(c.faults.ucwa_redirect);
    /* A flag takes 1 and 0 on a command line too (--fault web_ports_swapped=1). */
    assert_int_equal(lab_config_set_fault(&c, "web_ports_swapped=1", &err), 0);
    assert_true(c.faults.web_ports_swapped);
    assert_int_equal(lab_config_set_fault(&c, "web_ports_swapped=0", &err), 0);
    assert_false(c.faults.web_ports_swapped);
    assert_int_equal(lab_config_set_fault(&c, "web_ports_swapped=10", &err), SYNTH_ECONFIG);
    assert_int_equal(parse(&c, "faults:\n  web_ports_swapped: true\n", &err), 0);
    assert_true(c.faults.web_ports_swapped);
    /* The SIP path's middlebox: its idle timeout and how it cuts. */
    assert_int_equal(c.faults.sip_idle_timeout_s, 0);
    assert_int_equal(c.faults.sip_idle_cut, 0); /* fin */
    assert_int_equal(lab_config_set_fault(&c, "sip_idle_timeout_s=6", &err), 0);
    assert_int_equal(c.faults.sip_idle_timeout_s, 6);
    assert_int_equal(lab_config_set_fault(&c, "sip_idle_cut=drop", &err), 0);
    assert_int_equal(c.faults.sip_idle_cut, 2);
    assert_int_equal(parse(&c, "faults: {sip_idle_timeout_s: 15m, sip_idle_cut: rst}\n", &err), 0);
    assert_int_equal(c.faults.sip_idle_timeout_s, 900);
    assert_int_equal(c.faults.sip_idle_cut, 1);
    assert_int_equal(lab_config_set_fault(&c, "sip_idle_cut=icmp", &err), SYNTH_ECONFIG);
    assert_string_equal(err.msg, "sip_idle_cut: expected fin, rst or drop");
    /* auth: ntlm: the SA's lifetime in whole seconds, the broken signature. */
    assert_int_equal(parse(&c, "faults: {ntlm_sa_lifetime_s: 4, ntlm_bad_request_signature: true}\n", &err), 0);
    assert_int_equal(c.faults.ntlm_sa_lifetime_s, 4);
    assert_true(c.faults.ntlm_bad_request_signature);
    assert_int_equal(lab_config_set_fault(&c, "ntlm_sa_lifetime_s=1m", &err), 0);
    assert_int_equal(c.faults.ntlm_sa_lifetime_s, 60);
    /* The list of known knobs names the last one too (not cut short). */
    assert_int_equal(lab_config_set_fault(&c, "explode=1", &err), SYNTH_ECONFIG);
    assert_non_null(strstr(err.msg, "ucwa_redirect=true|false"));
}

static void fault_errors(void **state)
{
    struct lab_config c;
    struct synth_error err = {{0}};
    lab_config_defaults(&c);
    assert_int_equal(lab_config_set_fault(&c, "register_reject=404", &err), SYNTH_ECONFIG);
    assert_string_equal(err.msg, "register_reject: expected 403 or 503 (0 turns it off)");
    assert_int_equal(lab_config_set_fault(&c, "never_answer=yes", &err), SYNTH_ECONFIG);
    assert_string_equal(err.msg, "never_answer: expected true or false");
    assert_int_equal(lab_config_set_fault(&c, "explode=1", &err), SYNTH_ECONFIG);
    assert_non_null(strstr(err.msg, "unknown fault 'explode'; known: register_reject=403|503"));
    assert_int_equal(lab_config_set_fault(&c, "um_cert_cn=a b", &err), SYNTH_ECONFIG);
    assert_string_equal(err.msg,
                        "um_cert_cn: expected a name of printable characters without spaces");
    char long_cn[80] = "um_cert_cn=";
    memset(long_cn + 11, 'x', 65);
    assert_int_equal(lab_config_set_fault(&c, long_cn, &err), SYNTH_ECONFIG);
    assert_string_equal(err.msg, "um_cert_cn: expected a name of at most 64 characters");
    assert_int_equal(lab_config_set_fault(&c, "explode=1", &err), SYNTH_ECONFIG);
    assert_non_null(strstr(err.msg, "um_cert_cn=NAME")); /* the whole list fits */
    assert_int_equal(lab_config_set_fault(&c, "never_answer", &err), SYNTH_ECONFIG);
    assert_non_null(strstr(err.msg, "expected KEY=VALUE"));

    assert_int_equal(parse(&c, "faults:\n  answer_delay_ms: soon\n", &err), SYNTH_ECONFIG);
    assert_string_equal(err.msg, "lab.yaml:2: faults.answer_delay_ms: expected a duration such "
                                 "as 500ms, 30s or 16m");
    assert_int_equal(parse(&c, "faults:\n  explode: 1\n", &err), SYNTH_ECONFIG);
    assert_non_null(strstr(err.msg, "lab.yaml:2: faults.explode: unknown fault"));
    assert_int_equal(parse(&c, "udp_prot: 5060\n", &err), SYNTH_ECONFIG);
    assert_non_null(strstr(err.msg, "lab.yaml:1: unknown key 'udp_prot'"));
    assert_int_equal(parse(&c, "users: 0\n", &err), SYNTH_ECONFIG);
    assert_string_equal(err.msg, "lab.yaml:1: users: must be between 1 and 1000000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_follow_domain), cmocka_unit_test(turn_keys), cmocka_unit_test(um_cert_without_fqdn_in_cn),
        cmocka_unit_test(faults_in_file_and_flags), cmocka_unit_test(fault_errors), cmocka_unit_test(auth_setting), cmocka_unit_test(threads_setting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
