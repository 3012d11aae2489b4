/** Packing the workspace's packages and installing them as npm users do. Re-exports only. @module */
export { ROOT, binEntries, packAll, publicPackages, readManifest, thirdPartyDirs, type Manifest, type WorkspacePackage } from './pack.ts';
export { declaredDependencies, dependencyClosure, installTarballs } from './install.ts';
