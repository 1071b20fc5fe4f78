'''ModemManager for tests, as a python-dbusmock template.

org.freedesktop.ModemManager1 on the system bus with one modem, whose Device
(the uid InhibitDevice takes) and port names come from the parameters:

    python3 -m dbusmock --template tests/support/modemmanager_mock.py \
        -l calls.log -p '{"device": "/sys/devices/usb1/1-3", "ports": ["ttyUSB2"]}'

InhibitDevice answers as ModemManager 1.20 does: an unknown uid is an error
(org.freedesktop.ModemManager1.Error.Core.NotFound); with "refuse": true
every request is refused (Core.WrongState). The log file records each call
with its arguments ("InhibitDevice "<uid>" True").
'''

import dbus

BUS_NAME = 'org.freedesktop.ModemManager1'
MAIN_OBJ = '/org/freedesktop/ModemManager1'
MAIN_IFACE = 'org.freedesktop.ModemManager1'
MODEM_IFACE = 'org.freedesktop.ModemManager1.Modem'
SYSTEM_BUS = True
IS_OBJECT_MANAGER = True


def load(mock, parameters):
    device = parameters.get('device', '/sys/devices/pci0000:00/0000:00:14.0/usb1/1-3')
    ports = parameters.get('ports', ['ttyUSB0', 'ttyUSB1', 'ttyUSB2', 'ttyUSB3', 'cdc-wdm0', 'wwan0'])
    refuse = bool(parameters.get('refuse', False))
    mock.AddProperties(MAIN_IFACE, dbus.Dictionary({'Version': '1.20.4'}, signature='sv'))
    mock.AddMethod(MAIN_IFACE, 'InhibitDevice', 'sb', '',
                   f'if {refuse!r}: raise dbus.exceptions.DBusException("Cannot inhibit: modem busy", '
                   f'name="org.freedesktop.ModemManager1.Error.Core.WrongState")\n'
                   f'if args[0] != {device!r}: raise dbus.exceptions.DBusException("No device found with uid " + '
                   f'args[0], name="org.freedesktop.ModemManager1.Error.Core.NotFound")')
    port_list = dbus.Array([dbus.Struct((p, dbus.UInt32(3)), signature='su') for p in ports], signature='(su)')
    mock.AddObject('/org/freedesktop/ModemManager1/Modem/0', MODEM_IFACE,
                   {'Device': dbus.String(device), 'Ports': port_list, 'PrimaryPort': dbus.String(ports[0]),
                    'Manufacturer': dbus.String('Quectel'), 'Model': dbus.String('EC25')}, [])
