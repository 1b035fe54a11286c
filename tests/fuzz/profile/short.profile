hushd-noise-profile 1
rate 48000
fft 256
bins 3
0 1
