/*
 * config.h -- an agent's configuration (agent YAML), as the runtime uses
 * it.  ag_config_load (config.c) reads and checks a file completely:
 * `${ENV}` and `${{dexto.agent_dir}}` expansion, absolute-URI rules and
 * cross-references between resources and data sources, with errors at
 * FILE:LINE:COL through sim_diag.  Everything else in agent-harness reads
 * only the structure it fills (settings.h).
 *
 * Strings: `${NAME}` is the environment variable NAME, `$${` a literal
 * `${`, and `${{dexto.agent_dir}}` is "file://" plus the agent directory,
 * so `${{dexto.agent_dir}}/prompts/base.md` is an absolute file:// URI.  An
 * unset variable is an error naming it, except in the secret fields --
 * llm.apiKey, server.apiKey and an s3 source's credentials -- where it (or
 * an empty value) leaves the field NULL: "not configured".
 *
 * Ownership: an ag_config owns every string and array in it.  Optional
 * strings are NULL when absent unless a default is given below.
 */
#ifndef AG_CONFIG_H
#define AG_CONFIG_H

#include "agent-harness/settings.h"
#include "base/diag.h"

/*
 * Loads and checks `path`.  On success *out is a new config (free with
 * ag_config_free) and 0 is returned; otherwise every problem is in `d`
 * and SIM_EPARSE, SIM_EIO or SIM_ENOMEM (base/fixed.h) is returned.
 */
int ag_config_load(const char *path, sim_diag *d, ag_config **out);
void ag_config_free(ag_config *c);

/* Whether a YAML file looks like an agent config (has `llm:` at the top);
 * 0 for a file that cannot be read or parsed. */
int ag_config_sniff(const char *path);

#endif
