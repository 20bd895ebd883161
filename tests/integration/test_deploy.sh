#!/bin/bash
# deploy/: the systemd units pass `systemd-analyze verify` (silently: it
# only warns about unknown keys); the Kubernetes manifests hold together
# (no cluster here, and kubectl's --dry-run=client still asks a server, so
# a structure test with python3-yaml: the Indexed Job, its shard count,
# the volume, ConfigMap and Secret it names, the merge Job after it); the
# Dockerfile's final stage installs exactly scripts/setup.sh's RUNTIME list
# (no docker daemon here: it is not built).
. "$(dirname "$0")/lib.sh"
D="$SRC/deploy"
command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (systemd; scripts/setup.sh --tests)"
python3 -c 'import yaml' 2>/dev/null || fail "python3-yaml missing (scripts/setup.sh --tests)"

# 1. systemd units, with ExecStart pointed at the binary built here.
mkdir -p "$T/units"
for f in "$D"/systemd/*.service "$D"/systemd/*.timer; do
    sed "s|/usr/local/bin/synth|$SYNTH|g" "$f" >"$T/units/$(basename "$f")"
done
n=$(ls "$T/units" | wc -l)
[ "$n" -eq 3 ] || fail "expected 3 units in deploy/systemd, found $n"
rc=0; systemd-analyze verify --man=no "$T"/units/* >"$T/verify.out" 2>&1 || rc=$?
[ $rc -eq 0 ] && [ ! -s "$T/verify.out" ] || fail "systemd-analyze verify: exit $rc: $(cat "$T/verify.out")"
ok "systemd-analyze verify accepts deploy/systemd/* ($(ls "$T/units" | tr '\n' ' '))"
# The check sees a broken unit (so the silence above means something).
sed 's/^Restart=on-failure/Restart=sometimes/' "$T/units/synth-exporter.service" >"$T/broken.service"
systemd-analyze verify --man=no "$T/broken.service" >"$T/broken.out" 2>&1 || true
grep -q "restart specifier" "$T/broken.out" || fail "verify did not flag a bad Restart=: $(cat "$T/broken.out")"
ok "verify flags a broken copy"
for f in synth-exporter.service synth-voicemail.service synth-voicemail.timer; do
    grep -q "deploy/systemd/$f" "$SRC/docs/exporter.md" || fail "docs/exporter.md does not point at deploy/systemd/$f"
done
ok "docs/exporter.md points at the unit files"

# 2. Kubernetes manifests.
python3 - "$D/kubernetes" "$D/Dockerfile" <<'PY' || fail "deploy/kubernetes does not hold together"
import re, sys, yaml
kdir, dockerfile = sys.argv[1], sys.argv[2]
docs = {}
for name in ("job.yaml", "merge-job.yaml", "pvc.yaml", "configmap.yaml"):
    for d in yaml.safe_load_all(open(f"{kdir}/{name}")):
        assert d and {"apiVersion", "kind", "metadata"} <= d.keys(), f"{name}: a document without apiVersion/kind/metadata"
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", d["metadata"]["name"]), f"{name}: bad name"
        docs[(d["kind"], d["metadata"]["name"])] = (name, d)
def one(kind, name):
    assert (kind, name) in docs, f"no {kind} {name} (have {sorted(docs)})"
    return docs[(kind, name)][1]
api = {"Job": "batch/v1", "PersistentVolumeClaim": "v1", "ConfigMap": "v1", "Secret": "v1"}
for (kind, name), (f, d) in docs.items():
    assert api.get(kind) == d["apiVersion"], f"{f}: {kind} with apiVersion {d['apiVersion']}"

job = one("Job", "synth-shards")
spec = job["spec"]
assert spec["completionMode"] == "Indexed", "the shard Job must be Indexed"
pod = spec["template"]["spec"]
assert pod["restartPolicy"] in ("Never", "OnFailure")
c = pod["containers"][0]
env = {e["name"]: e for e in c["env"]}
n = int(env["SYNTH_SHARDS"]["value"])
assert spec["completions"] == spec["parallelism"] == n, "completions, parallelism and SYNTH_SHARDS differ"
assert env["JOB_COMPLETION_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"] == \
    "metadata.annotations['batch.kubernetes.io/job-completion-index']"
cmd = " ".join(c["command"] + c["args"])
assert "synth run " in cmd and "--out /results/shard-$(JOB_COMPLETION_INDEX)" in cmd, cmd
assert "--shard " not in cmd, "the pod must take its shard from JOB_COMPLETION_INDEX"
mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
vols = {v["name"]: v for v in pod["volumes"]}
assert mounts["results"] == "/results"
pvc = vols["results"]["persistentVolumeClaim"]["claimName"]
claim = one("PersistentVolumeClaim", pvc)
assert "ReadWriteMany" in claim["spec"]["accessModes"], "pods on several nodes share the results volume"
cm = one("ConfigMap", vols["config"]["configMap"]["name"])
for key in re.findall(re.escape(mounts["config"]) + r"/([\w.-]+)", cmd):
    assert key in cm["data"], f"the pod reads {key}, the ConfigMap has {sorted(cm['data'])}"
sc = yaml.safe_load(cm["data"]["scenario.yaml"])
assert sc["load"]["users"] % n == 0 or sc["load"]["users"] >= n
target = yaml.safe_load(cm["data"]["target.yaml"])
assert target["users"]["count"] >= sc["load"]["users"], "the target has fewer users than the scenario"
pw = target["users"]["password"]
assert pw.startswith("env:"), "the password must come from the Secret, not the ConfigMap"
ref = env[pw[4:]]["valueFrom"]["secretKeyRef"]
secret = one("Secret", ref["name"])
assert ref["key"] in secret["stringData"]

merge = one("Job", "synth-merge")
mpod = merge["spec"]["template"]["spec"]
mc = mpod["containers"][0]
mcmd = " ".join(mc["command"] + mc["args"])
assert "synth merge /results/shard-* --out /results/merged" in mcmd, mcmd
assert mpod["volumes"][0]["persistentVolumeClaim"]["claimName"] == pvc
wait = mpod["initContainers"][0]
assert int({e["name"]: e for e in wait["env"]}["SYNTH_SHARDS"]["value"]) == n, "the merge waits for another count"
assert "summary.json" in " ".join(wait["args"]), "the merge must wait for the shards' summaries"
images = {c["image"], mc["image"], wait["image"]}
assert len(images) == 1, f"images differ: {images}"
uid = re.search(r"useradd[^\n]*--uid (\d+)", open(dockerfile).read()).group(1)
for p in (pod, mpod):
    assert str(p["securityContext"]["runAsUser"]) == uid, "runAsUser is not the image's user"
print(f"ok: Indexed Job of {n} shards, PVC {pvc} (ReadWriteMany), ConfigMap {cm['metadata']['name']}, Secret {secret['metadata']['name']}, merge Job after it, image {images.pop()}")
PY

# 3. The Dockerfile: Debian 12, the project's cmake, runtime packages only at the end.
python3 - "$D/Dockerfile" "$SRC/scripts/setup.sh" <<'PY' || fail "deploy/Dockerfile"
import re, sys
df = open(sys.argv[1]).read().replace("\\\n", " ")
setup = open(sys.argv[2]).read().replace("\\\n", " ")
stages = re.split(r"(?m)^FROM ", df)[1:]
assert len(stages) == 2, f"{len(stages)} stages, want build + final"
for s in stages:
    assert re.match(r"debian:12(-slim)?\b", s), "not Debian 12: " + s.split()[0]
assert "scripts/setup.sh" in stages[0] and "cmake -S" in stages[0] and "cmake --build" in stages[0]
final = re.search(r"apt-get install ([^&]*)", stages[1]).group(1).split()
final = sorted(p for p in final if not p.startswith("-"))
runtime = sorted(re.search(r'RUNTIME="([^"]*)"', setup).group(1).split())
assert final == runtime, f"Dockerfile installs {final}, setup.sh RUNTIME is {runtime}"
assert not [p for p in final if p.endswith("-dev")], "a -dev package in the final stage"
assert "COPY --from=build" in stages[1]
print(f"ok: Dockerfile: two Debian 12 stages, the final one installs setup.sh's RUNTIME ({len(runtime)} packages)")
PY
# The RUNTIME list holds the package of every library synth links against
# directly (libc6 is in every Debian image; a sanitizer build adds its own).
command -v objdump >/dev/null || fail "objdump missing (binutils, in build-essential)"
runtime=" $(sed -n '/^RUNTIME="/,/"$/p' "$SRC/scripts/setup.sh" | tr '\\\n"' '   ' | sed 's/^RUNTIME=//') "
missing=""
for so in $(objdump -p "$SYNTH" | awk '$1 == "NEEDED" {print $2}'); do
    path=$(ldconfig -p | awk -v so="$so" '$1 == so {print $NF; exit}')
    [ -n "$path" ] || fail "$so: not found by ldconfig"
    real=$(readlink -f "$path")
    # Merged /usr: dpkg may know the file by its /lib name.
    pkg=$( (dpkg -S "$real" || dpkg -S "${real#/usr}") 2>/dev/null | head -1 | cut -d: -f1)
    [ -n "$pkg" ] || fail "$so ($path): no Debian package owns it"
    case "$pkg" in libc6|libasan*|libubsan*) continue;; esac # libc: everywhere; sanitizers: the ASan build's
    case "$runtime" in *" $pkg "*) ;; *) missing="$missing $pkg($so)";; esac
done
[ -z "$missing" ] || fail "setup.sh RUNTIME lacks$missing"
ok "setup.sh RUNTIME holds the package of every library synth links against"
