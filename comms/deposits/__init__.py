"""Report deposits in Zenodo or any InvenioRDM repository, with their DOI."""
