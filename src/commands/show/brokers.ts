import {ShowCommand} from '../../cli/show-command.js'
import {BROKER_COLUMNS} from '../../cli/show-tables.js'
import {renderTable} from '../../cli/output.js'
import {showBrokers} from '../../services/show.js'
import type {BrokerRow} from '../../lib/show.js'

export default class ShowBrokers extends ShowCommand<{brokers: BrokerRow[]}> {
  static override summary = 'Show the brokers'
  static override description = 'Lists the Broker resources (found only on broker clusters) with their components and Globalnet settings.'
  static override examples = ['<%= config.bin %> show brokers', '<%= config.bin %> show brokers --context broker -o json']
  static override flags = {...ShowCommand.flags}
  protected readonly kind = 'BrokerList'

  async run(): Promise<void> {
    const {flags} = await this.parse(ShowBrokers)
    await this.runShow(flags, showBrokers, (view) => (view.brokers.length === 0 ? {success: 'No brokers found'} : {text: renderTable(BROKER_COLUMNS, view.brokers)}))
  }
}
