"""Device drivers (modem, audio, camera, card readers, barcode scanning, receipt printers), installed as
frontdesk.drivers; drivers/device.py holds the Device base class and the URL registry they share."""
