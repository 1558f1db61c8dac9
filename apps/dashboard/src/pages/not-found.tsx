import { PageHeader } from '../ui';

export const NotFoundPage = () => (
  <section>
    <PageHeader title="Page not found" />
    <p>
      There is no such page. Go to <a href="/keys">Keys</a>.
    </p>
  </section>
);
