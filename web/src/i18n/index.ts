import { en, type Catalog } from './en.ts';

/** The active catalog. Only English ships today; switching is a matter of picking another Catalog. */
export const t: Catalog = en;
