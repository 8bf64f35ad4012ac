// handlebars' single-file build (see template.ts) has the same API as its package entry.
declare module 'handlebars/dist/handlebars.min.js' {
  import Handlebars from 'handlebars';
  export default Handlebars;
}
