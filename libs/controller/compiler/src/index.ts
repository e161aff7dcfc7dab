export { compileSnapshot, type CompilerInput, type CompileProblem, type CompileResult, type DesiredApi } from './compile-snapshot.js';
