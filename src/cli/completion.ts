import type { Command } from 'commander';
import { FLOWS } from './trigger-flows.js';
import { examples, UsageError } from './shared.js';

/**
 * `payrail completion bash|zsh`: a script generated from the command tree itself, so a new command
 * or option completes without editing this file. Words: the commands at the top, a group's
 * subcommands after it, then the options of the command typed so far (and trigger's events).
 */
function table(program: Command): Map<string, string[]> {
  const words = new Map<string, string[]>();
  const opts = (c: Command) => [...c.options.map((o) => o.long).filter((l): l is string => !!l), '--help'];
  words.set('', [...program.commands.map((c) => c.name()), ...opts(program)]);
  for (const c of program.commands) {
    const subs = c.commands.map((s) => s.name());
    words.set(c.name(), [...subs, ...opts(c), ...(c.name() === 'trigger' ? FLOWS.map((f) => f.name) : [])]);
    for (const s of c.commands) words.set(`${c.name()} ${s.name()}`, opts(s));
  }
  return words;
}

function bash(program: Command): string {
  const cases = [...table(program)].map(([key, list]) => `    "${key}") words="${list.join(' ')}" ;;`).join('\n');
  return `# payrail bash completion: eval "$(payrail completion bash)" (e.g. in ~/.bashrc)
_payrail() {
  local cur key words i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  key=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) if [[ -z "$key" ]]; then key="\${COMP_WORDS[i]}"; elif [[ "$key" != *" "* ]]; then key="$key \${COMP_WORDS[i]}"; fi ;; esac
  done
  case "$key" in
${cases}
    *) words="" ;;
  esac
  if [[ -z "$words" && "$key" == *" "* ]]; then
    case "\${key%% *}" in
${[...table(program)].filter(([k]) => k !== '' && !k.includes(' ')).map(([k, list]) => `      "${k}") words="${list.filter((w) => w.startsWith('-')).join(' ')}" ;;`).join('\n')}
    esac
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _payrail payrail
`;
}

function zsh(program: Command): string {
  const cases = [...table(program)].map(([key, list]) => `    "${key}") cands=(${list.join(' ')}) ;;`).join('\n');
  return `#compdef payrail
# payrail zsh completion: eval "$(payrail completion zsh)" (e.g. in ~/.zshrc, after compinit)
_payrail() {
  local -a cands args
  local key=""
  args=(\${words[2,CURRENT-1]})
  for w in $args; do
    [[ "$w" == -* ]] && continue
    if [[ -z "$key" ]]; then key="$w"; elif [[ "$key" != *" "* ]]; then key="$key $w"; fi
  done
  cands=()
  case "$key" in
${cases}
  esac
  (( \${#cands} )) && compadd -- $cands || _files
}
compdef _payrail payrail
`;
}

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash or zsh)')
    .argument('<shell>', 'bash or zsh')
    .addHelpText('after', examples('eval "$(payrail completion bash)"    # in ~/.bashrc', 'eval "$(payrail completion zsh)"     # in ~/.zshrc, after compinit'))
    .action((shell: string) => {
      if (shell === 'bash') process.stdout.write(bash(program));
      else if (shell === 'zsh') process.stdout.write(zsh(program));
      else throw new UsageError('completion supports bash and zsh');
    });
}
