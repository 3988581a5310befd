#!/bin/sh
# Runs a test program, under valgrind when the 'valgrind' test setup asks.
if [ -n "${HP_VALGRIND:-}" ]; then
	# shellcheck disable=SC2086
	exec $HP_VALGRIND "$@"
fi
exec "$@"
