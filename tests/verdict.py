"""verdict: what the Python integration tests share to report: check() prints one "ok" or
"FAIL" line per claim and keeps the failures (the test exits 1 if there are any), DEV
names the JACK dummy server's ports as hushd's devices, free_udp_port() finds an OSC port."""
import socket

DEV = ["--input-device", "system", "--output-device", "system", "--frames", "256"]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
