#!/bin/sh
# SPDX-License-Identifier: MIT
# Print the newest Debian 6.12 kernel version in the package lists.
apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' |
	awk '{print $1}' | sed 's/^linux-image-//' | sort -V | tail -n 1
