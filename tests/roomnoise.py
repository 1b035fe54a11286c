"""roomnoise: two noise profiles, "loud" (-40 dBFS) and "quiet" (-60 dBFS) white noise,
learned by the real hushd offline (--learn 2 --save-profile), for the live tests that load
or remember a room's noise."""
import os
import subprocess


def learn_profiles(hushd, tmp, state, seed):
    import numpy as np
    import soundfile as sf
    os.makedirs(state, exist_ok=True)
    rng = np.random.default_rng(seed)
    for name, dbfs in (("loud", -40), ("quiet", -60)):
        x = (10 ** (dbfs / 20) * rng.standard_normal(48000 * 2)).astype(np.float32)
        sf.write(f"{tmp}/{name}.wav", x, 48000, subtype="FLOAT")
        subprocess.run([hushd, "--config", "/dev/null", "--input", f"{tmp}/{name}.wav",
                        "--output", f"{tmp}/out.wav", "--learn", "2",
                        "--save-profile", f"{state}/{name}.profile"], check=True,
                       capture_output=True)
