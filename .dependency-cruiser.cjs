/**
 * What `npm run lint` checks with dependency-cruiser (CI runs it): the folders of src/ form layers
 * and import only downwards, so no import cycle between folders can form; storage is the floor;
 * and the verifier SDK reaches nothing outside its package but jose and Node.
 */
module.exports = {
  forbidden: [
    {
      name: 'sdk-stands-alone',
      comment: '@inkan/verifier is installed by resource servers on its own: it reaches jose, Node and its own files only',
      severity: 'error',
      from: { path: '^packages/verifier/src/' },
      to: { pathNot: ['^packages/verifier/src/', '^node_modules/jose/', '^node_modules/@types/'], dependencyTypesNot: ['core', 'type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['@inkan/source', 'import', 'types', 'default'] },
  },
};
