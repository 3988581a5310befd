# SPDX-License-Identifier: LGPL-2.1-or-later
# hostdev-preflight validate --format json  ->  a GitLab Code Quality report
# (the Code Climate subset GitLab reads from artifacts:reports:codequality):
#   hostdev-preflight validate --format json ... | jq -f gitlab-codequality.jq > gl-code-quality-report.json
# A file that could not be read becomes one finding at its line 1.
def severity:
  if . == "error" then "major" elif . == "warning" then "minor" else "info" end;
[ .files[] as $f
  | if $f.error then
      { description: ("cannot read: " + $f.error), check_name: "unreadable",
        fingerprint: ("hostdev-preflight:" + $f.file + ":unreadable"),
        severity: "major", location: { path: $f.file, lines: { begin: 1 } } }
    else
      $f.diagnostics[]
      | { description: .message, check_name: .rule,
          fingerprint: ("hostdev-preflight:" + $f.file + ":" + .rule + ":"
                        + (.line | tostring) + ":" + (.column | tostring) + ":" + (.device // "")),
          severity: (.severity | severity),
          location: { path: $f.file, lines: { begin: ([.line, 1] | max) } } }
    end ]
