# shellcheck shell=bash
set -o pipefail
# Path, type, mode, owner, group and content hash of everything the collection may touch.
find /etc /usr/sbin/pppd /usr/sbin/callback /sbin/mgetty /home /dev/modem \
  /usr/local/lib/dialin-callback /var/lib/dialin-callback \
  -xdev \( -type f -o -type l -o -type d \) -printf '%p %y %m %u %g %l\n' 2>/dev/null | sort
find /etc -xdev -type f -print0 | sort -z | xargs -0 sha256sum
