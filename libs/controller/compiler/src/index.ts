export { compileSnapshot, compileApi, type CompilerInput, type CompileResult, type CompileProblem } from './compile-snapshot.js';
