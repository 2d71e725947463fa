# Sessions, storage, streams, models, tools and the server: sources and tests.
