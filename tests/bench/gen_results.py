#!/usr/bin/env python3
"""Writes a synthetic results directory for the report benchmarks: an
events.jsonl of N events shaped like synth run's (journeys of register, call,
hangup, unregister; about 2 % of calls failing with a class, SIP status and
detail; media on every answered call) and the summary.json that goes with it
(counts, percentiles, steps, thresholds, findings, a per-second timeline and
the log-linear histograms of synth/metrics/histogram.h).

    gen_results.py DIR [EVENTS] [SECONDS]     (defaults: 1000000 events over 1000 s)
"""
import datetime
import json
import math
import os
import random
import sys

SUB_BITS, RANGE_BITS = 7, 36
START_MS = 1796243837861  # 2026-12-02T20:37:17.861Z


def ts(ms):
    ms = int(ms)
    t = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def bucket_index(us):
    """hist_bucket_index of synth/metrics/histogram.c."""
    us = max(0, min(int(us), (1 << RANGE_BITS) - 1))
    if us < (1 << SUB_BITS):
        return us
    e = us.bit_length() - 1
    return (e - SUB_BITS) * (1 << SUB_BITS) + (us >> (e - SUB_BITS))


def hist(values_ms):
    counts = {}
    for v in values_ms:
        i = bucket_index(v * 1000)
        counts[i] = counts.get(i, 0) + 1
    us = [int(v * 1000) for v in values_ms]
    return {"count": len(us), "overflow": 0, "min_us": min(us) if us else 0,
            "max_us": max(us) if us else 0, "sum_us": float(sum(us)),
            "buckets": [[i, counts[i]] for i in sorted(counts)]}


def pct(values):
    if not values:
        return {"count": 0, "p50": None, "p90": None, "p95": None, "p99": None, "max": None,
                "mean": None}
    v = sorted(values)
    at = lambda p: round(v[max(0, math.ceil(p / 100 * len(v)) - 1)], 3)
    return {"count": len(v), "p50": at(50), "p90": at(90), "p95": at(95), "p99": at(99),
            "max": round(v[-1], 3), "mean": round(sum(v) / len(v), 3)}


FAILS = [("connected-no-media", 200, "OK", "answered, but no authenticated media came"),
         ("rejected", 486, "Busy Here", "the server refused the call"),
         ("timeout", 0, "", "no final response before the deadline"),
         ("server-error", 503, "Service Unavailable", "ms-diagnostics: 1008;reason=\"Unable to resolve DNS SRV record\"")]


def main():
    out = sys.argv[1]
    n_events = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 1000.0
    rnd = random.Random(6)
    journeys = n_events // 4
    os.makedirs(os.path.join(out, "traces"), exist_ok=True)
    setup, pdd, lag, mos, loss, jitter, first = [], [], [], [], [], [], []
    steps = {s: {"ms": [], "fail": {}} for s in ("register", "call", "hangup", "unregister")}
    timeline = [{"t": t, "started": 0, "skipped": 0, "calls": 0, "answered": 0, "failed": 0,
                 "ok": 0, "setup": []} for t in range(int(seconds) + 20)]
    failed_calls = 0
    with open(os.path.join(out, "events.jsonl"), "w") as f:
        for j in range(journeys):
            user = j % 5000
            uri = "sip:user%04d@lab.synth.test" % (user + 1)
            t0 = START_MS + j * seconds * 1000.0 / journeys
            lg = rnd.expovariate(1 / 0.3)
            lag.append(lg)
            sec = int((t0 - START_MS) / 1000)
            timeline[sec]["started"] += 1
            reg = rnd.lognormvariate(1.2, 0.4)
            steps["register"]["ms"].append(reg)
            f.write('{"ts":"%s","user":%d,"user_uri":"%s","via":"internal","step":"register",'
                    '"step_index":0,"journey":%d,"outcome":"ok","duration_ms":%.3f,'
                    '"start_lag_ms":%.3f,"sip_status":200,"sip_reason":"OK"}\n'
                    % (ts(t0), user, uri, j, reg, lg))
            cid = "%032x" % rnd.getrandbits(128)
            s = rnd.lognormvariate(3.0, 0.8)
            p = s * 0.9
            tc = t0 + reg
            timeline[sec]["calls"] += 1
            fail = FAILS[j % len(FAILS)] if rnd.random() < 0.02 else None
            if fail:
                failed_calls += 1
                cls, status, reason, detail = fail
                steps["call"]["fail"][cls] = steps["call"]["fail"].get(cls, 0) + 1
                timeline[sec]["failed"] += 1
                answered = status == 200
                dur = 5000.0 if answered else 3000.0
                steps["call"]["ms"].append(dur)
                media = ('{"srtp":true,"codec":"PCMU","flowed":false,"greeting_heard":false,'
                         '"sent":249,"received":0,"unauthenticated":0,"loss_pct":0.0,'
                         '"jitter_ms":0.0,"mos":0.0,"peer_port":49176,"peer_port_in_range":true}')
                f.write('{"ts":"%s","user":%d,"user_uri":"%s","via":"internal","step":"call",'
                        '"step_index":1,"journey":%d,"outcome":"failed","duration_ms":%.3f,'
                        '"start_lag_ms":0.02,"class":"%s","sip_status":%d,"sip_reason":"%s",'
                        '"detail":%s,"call_id":"%s"%s,"answered":%s,"bye_by_peer":false,'
                        '"media":%s}\n'
                        % (ts(tc), user, uri, j, dur, cls, status, reason, json.dumps(detail),
                           cid, (',"pdd_ms":%.3f,"setup_ms":%.3f' % (p, s)) if answered else "",
                           "true" if answered else "false", media))
                if answered:
                    setup.append(s)
                    pdd.append(p)
                    timeline[sec]["answered"] += 1
                    timeline[sec]["setup"].append(s)
                if failed_calls <= 200:  # synth keeps the traces of failed calls
                    with open(os.path.join(out, "traces", cid + ".txt"), "w") as tf:
                        tf.write("INVITE sip:user@lab.synth.test;opaque=app:voicemail SIP/2.0\r\n")
            else:
                setup.append(s)
                pdd.append(p)
                m = min(4.41, max(1.0, rnd.gauss(4.3, 0.15)))
                ls = max(0.0, rnd.expovariate(1 / 0.3) - 0.2)
                jt = rnd.expovariate(1 / 2.0)
                fm = rnd.expovariate(1 / 15.0)
                mos.append(m)
                loss.append(ls)
                jitter.append(jt)
                first.append(fm)
                timeline[sec]["answered"] += 1
                timeline[sec]["ok"] += 1
                timeline[sec]["setup"].append(s)
                dur = 3200.0 + s
                steps["call"]["ms"].append(dur)
                f.write('{"ts":"%s","user":%d,"user_uri":"%s","via":"internal","step":"call",'
                        '"step_index":1,"journey":%d,"outcome":"ok","duration_ms":%.3f,'
                        '"start_lag_ms":0.017,"sip_status":200,"sip_reason":"OK",'
                        '"call_id":"%s","pdd_ms":%.3f,"setup_ms":%.3f,"answered":true,'
                        '"bye_by_peer":false,"media":{"srtp":true,"codec":"PCMU","flowed":true,'
                        '"greeting_heard":true,"first_media_ms":%.3f,"greeting_onset_ms":%.3f,'
                        '"sent":159,"received":160,"unauthenticated":0,"loss_pct":%.3f,'
                        '"jitter_ms":%.3f,"mos":%.3f,"peer_port":49200,"peer_port_in_range":true,'
                        '"dscp":46,"peer_loss_pct":0.0,"peer_jitter_ms":0.375}}\n'
                        % (ts(tc), user, uri, j, dur, cid, p, s, fm, fm + 320, ls, jt, m))
            th = tc + dur
            for k, step in ((2, "hangup"), (3, "unregister")):
                d = rnd.lognormvariate(-0.5, 0.3)
                steps[step]["ms"].append(d)
                f.write('{"ts":"%s","user":%d,"user_uri":"%s","via":"internal","step":"%s",'
                        '"step_index":%d,"journey":%d,"outcome":"ok","duration_ms":%.3f,'
                        '"start_lag_ms":0.03,"sip_status":200,"sip_reason":"OK"%s}\n'
                        % (ts(th), user, uri, step, k, j, d,
                           (',"call_id":"%s"' % cid) if step == "hangup" else ""))
    calls = journeys
    answered = len(setup)
    summary = {
        "schema": 1, "version": "0.1.0", "target": "lab", "target_kind": "lab",
        "scenario": "bench-1m", "started_at": ts(START_MS), "started_at_ms": START_MS,
        "duration_s": seconds, "workers": 2, "verdict": "warning", "exit_code": 1,
        "reason": "call_success_pct is below its warning threshold", "via": ["internal"],
        "calls": {"attempted": calls, "answered": answered, "failed": failed_calls, "skipped": 0,
                  "ok": calls - failed_calls,
                  "success_pct": round(100.0 * (calls - failed_calls) / calls, 3),
                  "setup_ms": pct(setup), "pdd_ms": pct(pdd), "media_calls": answered,
                  "media_ok": len(mos), "greeting_heard": len(mos),
                  "connected_no_media": steps["call"]["fail"].get("connected-no-media", 0),
                  "first_media_ms": pct(first), "loss_pct": pct(loss), "jitter_ms": pct(jitter),
                  "mos": pct(mos)},
        "journeys": {"started": journeys, "completed": journeys, "skipped": 0},
        "steps": {}, "paths": None, "generator": {"lag_ms": pct(lag)},
        "thresholds": [
            {"metric": "setup_ms.p95", "warn": 1500.0, "crit": 3000.0,
             "value": pct(setup)["p95"], "level": "ok", "direction": "above-is-bad", "line": 18},
            {"metric": "call_success_pct", "warn": 99.5, "crit": 98.0,
             "value": round(100.0 * (calls - failed_calls) / calls, 3), "level": "warning",
             "direction": "below-is-bad", "line": 20}],
        "findings": [
            {"id": "threshold.call_success_pct", "severity": "warning", "level": "warning",
             "summary": "call_success_pct is below its warning threshold",
             "evidence": "call_success_pct below warn 99.5 %",
             "remedy": "see the failure findings for why steps failed"}],
        "findings_dropped": 0, "timeline": [],
        "histograms": {"unit": "us", "sub_bits": SUB_BITS, "range_bits": RANGE_BITS,
                       "setup": hist(setup), "pdd": hist(pdd), "lag": hist(lag), "steps": {}},
    }
    for name, st in steps.items():
        failed = sum(st["fail"].values())
        summary["steps"][name] = {"attempts": journeys, "ok": journeys - failed, "failed": failed,
                                  "success_pct": round(100.0 * (journeys - failed) / journeys, 3),
                                  "latency_ms": pct(st["ms"]), "failures": st["fail"]}
        summary["histograms"]["steps"][name] = hist(st["ms"])
        for cls, k in st["fail"].items():
            summary["findings"].append(
                {"id": "%s.%s" % (name, cls), "severity": "warning", "level": "warning",
                 "summary": "%s: %s on %d of %d attempts" % (name, cls, k, journeys),
                 "evidence": "%d %s failures of %d %s attempts" % (k, cls, k, name),
                 "remedy": "see the failed calls' SIP traces"})
    for row in timeline[:int(seconds)]:
        s = sorted(row.pop("setup"))
        row["setup_p95_ms"] = round(s[max(0, math.ceil(0.95 * len(s)) - 1)], 3) if s else None
        summary["timeline"].append(row)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
