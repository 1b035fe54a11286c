"""hushdproc: the real hushd in live mode on a test's JACK server (tests/jackenv.py), its
stderr in a log file the test polls, as the live, lifecycle and service tests start it."""
import os
import re
import signal
import subprocess
import tempfile
import time

from verdict import DEV


class LiveHushd:
    def __init__(self, hushd, jack, args, env_extra=None, log_path=None):
        """env_extra JOURNAL_STREAM="stderr" names the log file as the journal's stream,
        as systemd does for a unit's stderr."""
        if log_path:
            self.log = open(log_path, "w")
        else:
            self.log = tempfile.NamedTemporaryFile("w+", prefix="hushd-live-", suffix=".log")
        self.log_path = self.log.name
        env = jack.env()
        env.update(env_extra or {})
        if env.get("JOURNAL_STREAM") == "stderr":
            st = os.fstat(self.log.fileno())
            env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
        self.proc = subprocess.Popen([hushd, *DEV, *args], stdout=subprocess.DEVNULL,
                                     stderr=self.log, env=env)

    def text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_for(self, pattern, timeout_s, count=1):
        """True once pattern stands count times in the log; False at the timeout or when
        hushd exited without writing it."""
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if len(re.findall(pattern, self.text())) >= count:
                return True
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        return len(re.findall(pattern, self.text())) >= count

    def wait(self, timeout_s):
        """exit status and the seconds it took, or (None, timeout_s) and a SIGKILL"""
        t = time.monotonic()
        try:
            rc = self.proc.wait(timeout_s)
            return rc, time.monotonic() - t
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None, timeout_s

    def stop(self, sig=signal.SIGTERM):
        """Sends sig; returns (exit status, seconds until it exited), SIGKILL after 5 s."""
        t = time.monotonic()
        self.proc.send_signal(sig)
        rc, _ = self.wait(5)
        if rc is None:
            rc = self.proc.returncode
        return rc, time.monotonic() - t
