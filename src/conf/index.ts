/** Configuration: the property schema, .properties parsing, loading with precedence, validation. */
export { loadConfig, Config, ENV_MAPPINGS, SITE_FILE_NAME, type LoadOptions, type EnvMapping } from './config.js';
export { parseProperties, type PropEntry } from './properties.js';
export {
  SCHEMA, KEYS, findSpec, isAlias, splitList, isHostPort, typeProblem, scopeOf, consistencyOf, scopeIncludes,
  type PropertySpec, type PropertyType, type PropertyScope, type ConsistencyLevel,
} from './schema.js';
export {
  parseBytes, parseDuration, tryParseBytes, tryParseDuration, formatBytes, toUnit, isValidUnit,
} from './units.js';
export { parseHostsFile, parseHostsText, isValidHost, hostsFiles, splitHostPort } from './hosts.js';
export { closestKey, didYouMean, editDistance } from './suggest.js';
export { renderPropertyTable, updateDocTable } from './docs.js';
export { effectiveProperties, configHash, sharedConfigHash } from './effective.js';
export { INSTALL_ROOT } from './installRoot.js';
export { extractDefines } from './defines.js';
