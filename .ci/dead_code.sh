#!/usr/bin/env bash
# Dead-code check (issue 13): vulture over the package, with the scripts, benchmarks and tests as
# its users.  Textual calls its hooks by name, so those names and decorated handlers are ignored.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/vulture meshtail scripts benchmarks tests .ci/vulture_whitelist.py \
  --min-confidence 60 \
  --exclude 'meshtail/parse/*_templates.py' \
  --ignore-decorators '@on,@work,@property,@pytest.fixture' \
  --ignore-names 'on_*,action_*,watch_*,validate_*,compute_*,compose,check_action,get_default_screen,get_key_display,render_line,render,DEFAULT_CSS,CSS,CSS_PATH,TITLE,SUB_TITLE,BINDINGS,COMMANDS,ENABLE_COMMAND_PALETTE,AUTO_FOCUS,COMPONENT_CLASSES,VERTICAL_BREAKPOINTS,HORIZONTAL_BREAKPOINTS,VERTICAL_BARS,HORIZONTAL_BARS,renderer,disabled,cursor_position,active,can_focus,parameters,markup,pytestmark'
