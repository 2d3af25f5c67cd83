"""The duty roster (值班排班) and holiday assurance (重大节假日保障)."""
