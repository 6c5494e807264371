"""Reference data and its loaders: codes, tariff schedule, restricted lists, gazetteer, policy timeline."""
