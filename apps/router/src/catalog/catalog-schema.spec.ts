import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import shippedCatalog from './catalog.json';
import shippedEngines from './engines.json';
import { catalogJsonSchemas } from './catalog-schema';

const published = (file: string) => readFileSync(join(__dirname, file), 'utf8');

describe('published JSON Schemas of the catalog files', () => {
  it.each(Object.entries(catalogJsonSchemas()))('%s is what the zod schema generates (run `pnpm --filter @pipevideo/router catalog:schema` after changing it)', (file, generated) => {
    expect(published(file)).toBe(generated);
  });

  it('each shipped file names its schema, and the schema accepts it', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    for (const [data, file] of [[shippedCatalog, 'catalog.schema.json'], [shippedEngines, 'engines.schema.json']] as const) {
      expect(data.$schema).toBe(`./${file}`);
      const validate = ajv.compile(JSON.parse(published(file)));
      expect(validate(data) ? [] : validate.errors).toEqual([]);
    }
  });

  it('an editor sees what the loader refuses: a misspelt field and a wrong type', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(JSON.parse(published('catalog.schema.json')));
    const bad = JSON.parse(JSON.stringify(shippedCatalog));
    bad.models[0].routes[0].provider_modle_id = 'x';
    bad.models[0].routes[0].pricing[0].per_second_cents = '20';
    expect(validate(bad)).toBe(false);
    expect(validate.errors!.map((e) => `${e.instancePath} ${e.message}`)).toEqual(
      expect.arrayContaining(['/models/0/routes/0 must NOT have additional properties', '/models/0/routes/0/pricing/0/per_second_cents must be number']),
    );
  });
});
