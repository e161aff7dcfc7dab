export { compileSnapshot, type CompilerInput, type CompileResult } from './compile-snapshot.js';
export { compileApi, resolveClaims, type CompiledApi, type CompileProblem, type DesiredApi } from './compile-api.js';
export { IncrementalCompiler, type DesiredStateChange, type IncrementalCompilerStats } from './incremental-compiler.js';
