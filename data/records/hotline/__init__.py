"""The service hotline and follow-up visits: data.records.hotline.book.HotlineBook."""
