#!/bin/sh
# After installing Balcão (.deb and .rpm): the system group whose members (the clerks' accounts) may read the
# agency's credentials in /etc/balcao/credentials.json (docs/deploy/credentials.md). Left in place on removal: IT
# may have added accounts to it, and the credentials file keeps naming it.
set -e
if ! getent group balcao >/dev/null 2>&1; then
    groupadd --system balcao
fi
exit 0
