//! # assay-lineage
