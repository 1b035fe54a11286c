#!/usr/bin/python3
"""hushd under an ordinary user's memory-lock limit (RLIMIT_MEMLOCK), no mocks.

    test-memlock.py HUSHD HUSHCTL LIMIT_BYTES

hushd locks only what its audio path uses, within the limit, and never MCL_FUTURE: with
mlockall(MCL_FUTURE) every later mapping counts against the limit, and a later
pthread_create or malloc fails (the OSC thread, a reconnect). As root this script runs
itself again as nobody (setpriv) under `prlimit --memlock=LIMIT_BYTES` (as root without
CAP_IPC_LOCK when nobody cannot reach the build); as another user under prlimit alone. Then, on a private JACK dummy server of that user: hushd starts and
says what it locked ("locked N KiB of M KiB limit", N <= M, or "memory not locked: M
KiB limit"), its VmLck stays within the limit, its OSC thread answers, and after the
server is killed and started again it reconnects and OSC still answers.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jackenv import JackServer  # noqa: E402
from verdict import check, failures, free_udp_port  # noqa: E402

HUSHD, HUSHCTL, LIMIT = sys.argv[1], sys.argv[2], int(sys.argv[3])
INNER = "HUSHD_TEST_MEMLOCK_INNER"
def rerun_unprivileged():
    env = dict(os.environ, **{INNER: "1"})
    cmd = ["prlimit", f"--memlock={LIMIT}:{LIMIT}"]
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            print("setpriv is missing: cannot drop root")
            sys.exit(77)
        nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        if subprocess.run(nobody + [HUSHD, "--version"], capture_output=True).returncode:
            # the build is in a folder nobody may enter (a clone under /root): stay root
            # without CAP_IPC_LOCK, so that the limit applies
            print("nobody cannot run the build here: root without CAP_IPC_LOCK instead")
            nobody = ["setpriv", "--bounding-set=-ipc_lock"]
        cmd += nobody
        env["HOME"] = tempfile.mkdtemp(prefix="hushd-memlock-home-")
        os.chmod(env["HOME"], 0o777)
    return subprocess.call(cmd + ["/usr/bin/python3", os.path.abspath(__file__)] + sys.argv[1:],
                           env=env)


def wait_for(log, pattern, timeout_s, count=1):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with open(log) as f:
            if len(re.findall(pattern, f.read())) >= count:
                return True
        time.sleep(0.05)
    return False


def osc_answers(port):
    r = subprocess.run([HUSHCTL, "--port", str(port), "get", "threshold"],
                       capture_output=True, text=True, timeout=10)
    return r.returncode == 0 and r.stdout.strip() != ""


def vm_lck_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmLck:\s+(\d+) kB", f.read()).group(1))


def inner():
    print(f"uid {os.geteuid()}, RLIMIT_MEMLOCK {LIMIT // 1024} KiB")
    tmp = tempfile.mkdtemp(prefix="hushd-memlock-")
    log = f"{tmp}/hushd.log"
    jack = JackServer(48000, 256).start()
    port = free_udp_port()
    try:
        with open(log, "w") as f:
            h = subprocess.Popen([HUSHD, "--input-device", "system", "--output-device",
                                  "system", "--osc-port", str(port)], stdout=subprocess.DEVNULL,
                                 stderr=f, env=jack.env())
        check(wait_for(log, r"frames in hushd", 15), "hushd starts")
        wait_for(log, r"locked", 5)  # said once the audio path runs
        text = open(log).read()
        m = re.search(r"locked (\d+) KiB of (\d+) KiB limit", text)
        n = re.search(r"memory not locked: (\d+) KiB limit", text)
        limit_kib = LIMIT // 1024
        check((m is not None and int(m.group(1)) <= int(m.group(2)) == limit_kib) or
              (n is not None and int(n.group(1)) == limit_kib),
              f"the log says what was locked within the {limit_kib} KiB limit: "
              f"{(m or n).group(0) if (m or n) else text!r}")
        check("cannot" not in text, "no thread or allocation refused")
        lck = vm_lck_kib(h.pid)
        check(lck <= limit_kib, f"VmLck {lck} KiB <= {limit_kib} KiB")
        check(osc_answers(port), "the OSC thread answers")
        jack.stop(signal.SIGKILL)
        check(wait_for(log, r"lost the audio device", 5), "the server's death is reported")
        jack.start()
        check(wait_for(log, r"frames in hushd", 15, count=2), "hushd reconnects")
        check(wait_for(log, r"OSC control on", 5, count=2) and osc_answers(port),
              "the OSC thread answers after the reconnect")
        h.send_signal(signal.SIGTERM)
        rc = h.wait(5)
        check(rc == 0, f"SIGTERM: exit status {rc}")
        print(open(log).read())
    finally:
        if h.poll() is None:
            h.kill()
        jack.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda s, f: sys.exit(1))
    sys.exit(inner() if os.environ.get(INNER) else rerun_unprivileged())
